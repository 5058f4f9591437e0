using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Engine.Snapshots;

/// <summary>
/// The client end of the snapshot codec: applies payloads from <see cref="SnapshotEncoder"/> (in
/// any order, lost or repeated) to the frames it holds, and says which tick to acknowledge.
/// </summary>
/// <remarks>
/// A payload is applied only if it is newer than everything applied so far and its baseline is one
/// of the last <see cref="RingCapacity"/> applied frames; anything else (stale, duplicate, an unknown
/// baseline, malformed bytes) is refused whole and leaves the decoder unchanged. With the encoder's
/// ring no larger than this one, an acknowledged baseline is always still held here. Not thread-safe.
/// </remarks>
public sealed class SnapshotDecoder
{
    private readonly FrameRing _ring;
    private EntityFrame _scratch = new();
    private RecordRef[] _records = new RecordRef[64];
    private uint[] _recordIds = new uint[64];

    /// <summary>Creates a decoder that keeps the last <paramref name="ringCapacity"/> applied frames as possible baselines.</summary>
    public SnapshotDecoder(int ringCapacity = SnapshotEncoder.DefaultRingCapacity) => _ring = new FrameRing(ringCapacity);

    /// <summary>The newest applied tick (0 before the first): what the client acknowledges.</summary>
    public uint NewestApplied { get; private set; }

    /// <summary>The state at <see cref="NewestApplied"/> (empty before the first snapshot).</summary>
    public EntityFrame Current { get; private set; } = EntityFrame.Empty;

    private ulong? _hash;

    /// <summary><see cref="EntityFrame.ComputeHash"/> of <see cref="Current"/>.</summary>
    /// <remarks>Computed when first read after a change, not on every applied payload.</remarks>
    public ulong Hash => _hash ??= Current.ComputeHash();

    /// <summary>How many applied frames are kept as baselines.</summary>
    public int RingCapacity => _ring.Capacity;

    /// <summary>The frame applied at <paramref name="tick"/>, if still held.</summary>
    public bool TryGetFrame(uint tick, [NotNullWhen(true)] out EntityFrame? frame)
    {
        frame = _ring.Find(tick);
        return frame is not null;
    }

    /// <summary>Forgets every frame (a new connection): only a full snapshot applies next.</summary>
    public void Reset()
    {
        _ring.Clear();
        NewestApplied = 0;
        Current = EntityFrame.Empty;
        _hash = null;
    }

    /// <summary>Reads a payload's tick and baseline tick without applying it.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> payload, out uint tick, out uint baselineTick)
    {
        bool ok = payload.Length > SnapshotFormat.HeaderFixedBytes;
        tick = ok ? BinaryPrimitives.ReadUInt32LittleEndian(payload) : 0;
        baselineTick = ok ? BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]) : 0;
        return ok;
    }

    /// <summary>
    /// Applies <paramref name="payload"/> and returns true with its <paramref name="tick"/>; returns
    /// false, changing nothing, when it is not newer than <see cref="NewestApplied"/>, its baseline is
    /// not held, or it is malformed.
    /// </summary>
    public bool TryApply(ReadOnlySpan<byte> payload, out uint tick)
    {
        tick = 0;
        if (!TryReadHeader(payload, out uint snapshotTick, out uint baselineTick) || snapshotTick <= NewestApplied || baselineTick >= snapshotTick)
        {
            return false;
        }

        EntityFrame? baseline = baselineTick == 0 ? EntityFrame.Empty : _ring.Find(baselineTick);
        if (baseline is null || !TryReadRecords(payload, baseline, out int count))
        {
            return false;
        }

        Merge(payload, baseline, count);
        Current = _scratch;
        _scratch = _ring.Store(snapshotTick, _scratch);
        NewestApplied = snapshotTick;
        _hash = null;
        tick = snapshotTick;
        return true;
    }

    /// <summary>Validates every record against the baseline and notes where each one's bytes are; false on anything malformed.</summary>
    private bool TryReadRecords(ReadOnlySpan<byte> payload, EntityFrame baseline, out int count)
    {
        count = 0;
        int position = SnapshotFormat.HeaderFixedBytes;
        if (!Leb128.TryRead(payload, ref position, out uint declared) || declared > (uint)(payload.Length - position) / 2)
        {
            return false; // every record takes at least two bytes
        }

        if (_records.Length < declared)
        {
            Array.Resize(ref _records, Math.Max((int)declared, _records.Length * 2));
            Array.Resize(ref _recordIds, _records.Length);
        }

        for (int i = 0; i < (int)declared; i++)
        {
            if (position >= payload.Length)
            {
                return false;
            }

            byte kind = payload[position++];
            if (!Leb128.TryRead(payload, ref position, out uint id))
            {
                return false;
            }

            int baselineIndex = baseline.IndexOf(id);
            int start, length;
            switch (kind)
            {
                case SnapshotFormat.Full:
                    if (!Leb128.TryRead(payload, ref position, out uint bodyLength) || bodyLength > EntityFrame.MaxBodyLength || bodyLength > (uint)(payload.Length - position))
                    {
                        return false;
                    }

                    (start, length) = (position, (int)bodyLength);
                    break;
                case SnapshotFormat.Delta:
                    if (baselineIndex < 0 || !XorDelta.TryMeasure(payload[position..], baseline.GetBody(baselineIndex).Length, out length))
                    {
                        return false;
                    }

                    start = position;
                    break;
                case SnapshotFormat.Removed:
                    if (baselineIndex < 0)
                    {
                        return false;
                    }

                    (start, length) = (position, 0);
                    break;
                default:
                    return false;
            }

            position += length;
            _records[i] = new RecordRef(id, kind, start, length, baselineIndex);
            _recordIds[i] = id;
        }

        if (position != payload.Length)
        {
            return false;
        }

        count = (int)declared;
        Span<uint> ids = _recordIds.AsSpan(0, count);
        ids.Sort(_records.AsSpan(0, count)); // integer keys: no comparer to allocate
        for (int i = 1; i < count; i++)
        {
            if (ids[i] == ids[i - 1])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Builds the new frame in the scratch frame: baseline entities in id order, replaced, patched or dropped by their records.</summary>
    private void Merge(ReadOnlySpan<byte> payload, EntityFrame baseline, int count)
    {
        _scratch.Clear();
        int b = 0, r = 0;
        while (b < baseline.Count || r < count)
        {
            if (r < count && (b == baseline.Count || _records[r].Id <= baseline.GetId(b)))
            {
                RecordRef record = _records[r++];
                ReadOnlySpan<byte> bytes = payload.Slice(record.Start, record.Length);
                switch (record.Kind)
                {
                    case SnapshotFormat.Full:
                        _scratch.Append(record.Id, bytes);
                        break;
                    case SnapshotFormat.Delta:
                        ReadOnlySpan<byte> old = baseline.GetBody(record.BaselineIndex);
                        XorDelta.Apply(bytes, old, _scratch.Append(record.Id, old.Length));
                        break;
                    default:
                        break; // removed
                }

                b += record.BaselineIndex >= 0 ? 1 : 0;
                continue;
            }

            _scratch.Append(baseline.GetId(b), baseline.GetBody(b));
            b++;
        }
    }

    private readonly record struct RecordRef(uint Id, byte Kind, int Start, int Length, int BaselineIndex);
}
