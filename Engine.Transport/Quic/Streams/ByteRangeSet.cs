namespace Engine.Transport.Quic.Streams;

/// <summary>A half-open byte range [Start, End) of a stream.</summary>
internal readonly record struct ByteRange(ulong Start, ulong End)
{
    public ulong Length => End - Start;
}

/// <summary>
/// Sorted, disjoint, non-adjacent byte ranges (received data, acknowledged data, data to
/// retransmit). Lists stay short in practice (one entry per hole), so operations scan linearly;
/// the backing list only grows, so steady-state use does not allocate.
/// </summary>
internal sealed class ByteRangeSet
{
    private readonly List<ByteRange> _ranges = [];

    public int Count => _ranges.Count;

    public bool IsEmpty => _ranges.Count == 0;

    public ByteRange this[int index] => _ranges[index];

    public void Clear() => _ranges.Clear();

    /// <summary>Adds [start, end), merging with overlapping or touching ranges.</summary>
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

        // i is the first range that ends at or after start: merge every range touching [start, end).
        int j = i;
        while (j < _ranges.Count && _ranges[j].Start <= end)
        {
            start = Math.Min(start, _ranges[j].Start);
            end = Math.Max(end, _ranges[j].End);
            j++;
        }

        if (j == i)
        {
            _ranges.Insert(i, new ByteRange(start, end));
            return;
        }

        _ranges[i] = new ByteRange(start, end);
        if (j - i > 1)
        {
            _ranges.RemoveRange(i + 1, j - i - 1);
        }
    }

    /// <summary>Removes [start, end) from the set, splitting a range if needed.</summary>
    public void Remove(ulong start, ulong end)
    {
        if (start >= end)
        {
            return;
        }

        for (int i = 0; i < _ranges.Count; i++)
        {
            ByteRange r = _ranges[i];
            if (r.End <= start)
            {
                continue;
            }

            if (r.Start >= end)
            {
                break;
            }

            bool keepLeft = r.Start < start;
            bool keepRight = r.End > end;
            if (keepLeft && keepRight)
            {
                _ranges[i] = new ByteRange(r.Start, start);
                _ranges.Insert(i + 1, new ByteRange(end, r.End));
                return;
            }

            if (keepLeft)
            {
                _ranges[i] = new ByteRange(r.Start, start);
            }
            else if (keepRight)
            {
                _ranges[i] = new ByteRange(end, r.End);
            }
            else
            {
                _ranges.RemoveAt(i);
                i--;
            }
        }
    }

    /// <summary>Drops everything below <paramref name="offset"/>.</summary>
    public void RemoveBelow(ulong offset)
    {
        if (offset > 0)
        {
            Remove(0, offset);
        }
    }

    /// <summary>True when every byte of [start, end) is in the set.</summary>
    public bool Contains(ulong start, ulong end)
    {
        if (start >= end)
        {
            return true;
        }

        foreach (ByteRange r in _ranges)
        {
            if (r.Start <= start && r.End >= end)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The end of the range containing <paramref name="offset"/>, or <paramref name="offset"/> when none does.</summary>
    public ulong ContiguousEnd(ulong offset)
    {
        foreach (ByteRange r in _ranges)
        {
            if (r.Start <= offset && r.End >= offset)
            {
                return r.End;
            }

            if (r.Start > offset)
            {
                break;
            }
        }

        return offset;
    }
}
