using System.Buffers;
using MemoryPack;

namespace Engine.Snapshots;

/// <summary>
/// Builds a room's <see cref="EntityFrame"/> each tick: <see cref="Reset"/>, one <c>Add</c> per
/// entity in any order, then <see cref="Complete"/>. Games iterate their own collections (often
/// dictionaries), so ids may arrive unsorted; the writer sorts once at the end instead of making
/// every game do it. Reusing the writer does not allocate once its frame has grown.
/// </summary>
public sealed class EntityFrameWriter
{
    private readonly EntityFrame _frame;
    private readonly ArrayBufferWriter<byte> _scratch = new(64);
    private bool _sorted = true;
    private bool _completed;

    /// <summary>Creates a writer whose frame starts with room for the given numbers of entities and body bytes.</summary>
    public EntityFrameWriter(int entityCapacity = 64, int bodyCapacity = 4096) => _frame = new EntityFrame(entityCapacity, bodyCapacity);

    /// <summary>Starts a new frame, discarding the previous one (its spans become invalid).</summary>
    public void Reset()
    {
        _frame.Clear();
        _sorted = true;
        _completed = false;
    }

    /// <summary>Adds an entity with a copy of <paramref name="body"/> (0 to <see cref="EntityFrame.MaxBodyLength"/> bytes).</summary>
    public void Add(uint id, ReadOnlySpan<byte> body) => body.CopyTo(Add(id, body.Length));

    /// <summary>Adds an entity whose body is <paramref name="value"/> serialised with MemoryPack (at most <see cref="EntityFrame.MaxBodyLength"/> bytes).</summary>
    public void AddMemoryPack<T>(uint id, in T? value)
    {
        _scratch.ResetWrittenCount();
        MemoryPackSerializer.Serialize(_scratch, value);
        Add(id, _scratch.WrittenSpan);
    }

    /// <summary>Adds an entity and returns its <paramref name="bodyLength"/>-byte body for the caller to write in place.</summary>
    public Span<byte> Add(uint id, int bodyLength)
    {
        if (_completed)
        {
            throw new InvalidOperationException("The frame is complete; call Reset to start the next one.");
        }

        if (_frame.Count > 0)
        {
            uint last = _frame.LastId;
            if (id == last)
            {
                throw new ArgumentException($"Entity {id} was already added to this frame.", nameof(id));
            }

            _sorted &= id > last;
        }

        return _frame.Append(id, bodyLength);
    }

    /// <summary>Sorts the frame by id and returns it. Throws when an id was added twice.</summary>
    public EntityFrame Complete()
    {
        if (!_completed && !_sorted && !_frame.SortById(out uint duplicate))
        {
            throw new InvalidOperationException($"Entity {duplicate} was added to this frame more than once.");
        }

        _completed = true;
        return _frame;
    }
}
