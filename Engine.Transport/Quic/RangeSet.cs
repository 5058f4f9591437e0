namespace Engine.Transport.Quic;

/// <summary>
/// A set of half-open ranges [Start, End) kept sorted, disjoint and non-adjacent. Used for
/// crypto-stream bookkeeping, where ranges are few; operations are linear in their count.
/// </summary>
internal sealed class RangeSet
{
    private readonly List<(ulong Start, ulong End)> _ranges = [];

    public bool IsEmpty => _ranges.Count == 0;

    public IReadOnlyList<(ulong Start, ulong End)> Ranges => _ranges;

    public void Add(ulong start, ulong end)
    {
        if (start >= end)
        {
            return;
        }

        int i = 0;
        while (i < _ranges.Count && _ranges[i].End < start)
        {
            i++;
        }

        ulong newStart = start;
        ulong newEnd = end;
        while (i < _ranges.Count && _ranges[i].Start <= end)
        {
            newStart = Math.Min(newStart, _ranges[i].Start);
            newEnd = Math.Max(newEnd, _ranges[i].End);
            _ranges.RemoveAt(i);
        }

        _ranges.Insert(i, (newStart, newEnd));
    }

    public void Remove(ulong start, ulong end)
    {
        if (start >= end)
        {
            return;
        }

        for (int i = 0; i < _ranges.Count; i++)
        {
            (ulong s, ulong e) = _ranges[i];
            if (e <= start)
            {
                continue;
            }

            if (s >= end)
            {
                break;
            }

            _ranges.RemoveAt(i);
            int insertAt = i;
            if (s < start)
            {
                _ranges.Insert(insertAt++, (s, start));
            }

            if (e > end)
            {
                _ranges.Insert(insertAt++, (end, e));
            }

            i = insertAt - 1;
        }
    }

    /// <summary>True when [start, end) lies inside one range.</summary>
    public bool Covers(ulong start, ulong end)
    {
        foreach ((ulong s, ulong e) in _ranges)
        {
            if (s <= start && end <= e)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Removes and returns up to <paramref name="maxLength"/> from the lowest range.</summary>
    public bool TryTakeFirst(ulong maxLength, out ulong start, out ulong end)
    {
        if (_ranges.Count == 0 || maxLength == 0)
        {
            start = end = 0;
            return false;
        }

        (start, ulong rangeEnd) = _ranges[0];
        end = Math.Min(rangeEnd, start + maxLength);
        if (end == rangeEnd)
        {
            _ranges.RemoveAt(0);
        }
        else
        {
            _ranges[0] = (end, rangeEnd);
        }

        return true;
    }

    public void Clear() => _ranges.Clear();
}
