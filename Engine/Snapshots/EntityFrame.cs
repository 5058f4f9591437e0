using System.Buffers.Binary;

namespace Engine.Snapshots;

/// <summary>
/// The entities of one tick: (id, body) pairs sorted by id, with the bodies stored back to back in
/// one reusable buffer. Snapshots compare two frames entity by entity in id order, so walking in
/// order and finding an id must be cheap, and reusing a frame every tick must not allocate (its
/// arrays grow to the largest world seen and stay). Build one with <see cref="EntityFrameWriter"/>.
/// </summary>
public sealed class EntityFrame
{
    /// <summary>The largest body an entity may have: it must fit a datagram with room to spare.</summary>
    public const int MaxBodyLength = 1024;

    /// <summary>The state with no entities: the baseline of a full snapshot. Never written to.</summary>
    internal static readonly EntityFrame Empty = new(0, 0);

    private uint[] _ids;
    private BodyRange[] _ranges;
    private byte[] _bodies;
    private int _count;
    private int _bodyBytes;

    /// <summary>Creates an empty frame with room for the given numbers of entities and body bytes (it grows as needed).</summary>
    public EntityFrame(int entityCapacity = 64, int bodyCapacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(entityCapacity);
        ArgumentOutOfRangeException.ThrowIfNegative(bodyCapacity);
        _ids = new uint[entityCapacity];
        _ranges = new BodyRange[entityCapacity];
        _bodies = new byte[bodyCapacity];
    }

    /// <summary>The number of entities.</summary>
    public int Count => _count;

    /// <summary>The sum of the bodies' lengths.</summary>
    public int BodyBytes => _bodyBytes;

    /// <summary>The id of the entity at <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>), ascending with the index.</summary>
    public uint GetId(int index)
    {
        CheckIndex(index);
        return _ids[index];
    }

    /// <summary>The body of the entity at <paramref name="index"/>; valid until the frame is next changed.</summary>
    public ReadOnlySpan<byte> GetBody(int index)
    {
        CheckIndex(index);
        BodyRange range = _ranges[index];
        return _bodies.AsSpan(range.Offset, range.Length);
    }

    /// <summary>The index of <paramref name="id"/>, or a negative number when the frame does not hold it.</summary>
    public int IndexOf(uint id) => _ids.AsSpan(0, _count).BinarySearch(id);

    /// <summary>Finds the body of <paramref name="id"/>.</summary>
    public bool TryGetBody(uint id, out ReadOnlySpan<byte> body)
    {
        int index = IndexOf(id);
        body = index >= 0 ? GetBody(index) : default;
        return index >= 0;
    }

    /// <summary>
    /// FNV-1a (64-bit) over every entity in id order: id (u32 LE), body length (u32 LE), body. Lets a
    /// client and a test compare whole states cheaply; not a defence against anything.
    /// </summary>
    public ulong ComputeHash()
    {
        const ulong offsetBasis = 14695981039346656037, prime = 1099511628211;
        ulong hash = offsetBasis;
        Span<byte> header = stackalloc byte[8];
        for (int i = 0; i < _count; i++)
        {
            ReadOnlySpan<byte> body = GetBody(i);
            BinaryPrimitives.WriteUInt32LittleEndian(header, _ids[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)body.Length);
            foreach (byte b in header)
            {
                hash = (hash ^ b) * prime;
            }

            foreach (byte b in body)
            {
                hash = (hash ^ b) * prime;
            }
        }

        return hash;
    }

    /// <summary>True when both frames hold the same ids with byte-for-byte equal bodies.</summary>
    public bool ContentEquals(EntityFrame other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._count != _count || other._bodyBytes != _bodyBytes)
        {
            return false;
        }

        for (int i = 0; i < _count; i++)
        {
            if (_ids[i] != other._ids[i] || !GetBody(i).SequenceEqual(other.GetBody(i)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The ids in order, for the codec's merge loops (no per-call index check).</summary>
    internal ReadOnlySpan<uint> Ids => _ids.AsSpan(0, _count);

    /// <summary><see cref="GetBody"/> for an index the caller got from <see cref="Ids"/>.</summary>
    internal ReadOnlySpan<byte> BodyAt(int index)
    {
        BodyRange range = _ranges[index];
        return _bodies.AsSpan(range.Offset, range.Length);
    }

    /// <summary>Empties the frame, keeping its buffers.</summary>
    internal void Clear()
    {
        _count = 0;
        _bodyBytes = 0;
    }

    /// <summary>Appends an entity; the caller keeps ids ascending (or sorts with <see cref="SortById"/>).</summary>
    internal void Append(uint id, ReadOnlySpan<byte> body) => body.CopyTo(Append(id, body.Length));

    /// <summary>Appends an entity and returns its body for the caller to fill.</summary>
    internal Span<byte> Append(uint id, int length)
    {
        if ((uint)length > MaxBodyLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"An entity body holds 0 to {MaxBodyLength} bytes.");
        }

        if (_count == _ids.Length)
        {
            int capacity = Math.Max(16, _ids.Length * 2);
            Array.Resize(ref _ids, capacity);
            Array.Resize(ref _ranges, capacity);
        }

        if (_bodyBytes + length > _bodies.Length)
        {
            Array.Resize(ref _bodies, Math.Max(_bodyBytes + length, Math.Max(256, _bodies.Length * 2)));
        }

        _ids[_count] = id;
        _ranges[_count] = new BodyRange(_bodyBytes, length);
        _count++;
        Span<byte> body = _bodies.AsSpan(_bodyBytes, length);
        _bodyBytes += length;
        return body;
    }

    /// <summary>Makes this frame a copy of <paramref name="source"/> with three block copies (the encoder's common case: the client gets everything).</summary>
    internal void CopyFrom(EntityFrame source)
    {
        if (_ids.Length < source._count)
        {
            _ids = new uint[source._ids.Length];
            _ranges = new BodyRange[source._ids.Length];
        }

        if (_bodies.Length < source._bodyBytes)
        {
            _bodies = new byte[source._bodies.Length];
        }

        source._ids.AsSpan(0, source._count).CopyTo(_ids);
        source._ranges.AsSpan(0, source._count).CopyTo(_ranges);
        source._bodies.AsSpan(0, source._bodyBytes).CopyTo(_bodies); // bodies fill [0, BodyBytes) in any id order
        _count = source._count;
        _bodyBytes = source._bodyBytes;
    }

    /// <summary>The id of the last entity appended (the frame must not be empty).</summary>
    internal uint LastId => _ids[_count - 1];

    /// <summary>Sorts entities by id (bodies stay where they are); returns false when an id occurs twice.</summary>
    internal bool SortById(out uint duplicate)
    {
        _ids.AsSpan(0, _count).Sort(_ranges.AsSpan(0, _count));
        for (int i = 1; i < _count; i++)
        {
            if (_ids[i] == _ids[i - 1])
            {
                duplicate = _ids[i];
                return false;
            }
        }

        duplicate = 0;
        return true;
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The frame holds {_count} entities.");
        }
    }

    private readonly record struct BodyRange(int Offset, int Length);
}
