using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Engine.Snapshots;

/// <summary>
/// Encodes one player's snapshots: each a delta against the newest frame that player acknowledged,
/// holding only the entities relevant to the player, within a byte budget. One instance per player.
/// </summary>
/// <remarks>
/// The encoder remembers what it sent, not what the server had: every payload's client view
/// (baseline plus the records that fit) is kept in a ring under its tick, because that is exactly
/// what the client holds after applying it. Deltas against it are therefore correct however many
/// payloads or acks were lost. Under a budget, removals go first (a few bytes each), then creations
/// and changes by accumulated priority: each tick an entity's change stays unsent it adds its
/// interest priority, and sending resets it, so a low-priority entity waits longer but never forever.
/// Steady state allocates nothing: every buffer is kept and grows to the largest world seen.
/// Not thread-safe: one caller at a time (the room's tick).
/// </remarks>
public sealed class SnapshotEncoder
{
    /// <summary>Frames kept per player by default: 32 ticks is about a second at 30 Hz, longer than an ack normally takes.</summary>
    public const int DefaultRingCapacity = 32;

    /// <summary>The smallest priority an entity counts with, so that every change is eventually sent.</summary>
    public const float MinimumPriority = 0.001f;

    private const byte Remove = 0, Create = 1, Change = 2;

    private readonly FrameRing _ring;
    private EntityFrame _view = new();
    private Candidate[] _candidates = new Candidate[64];
    private ulong[] _rankKeys = new ulong[64];
    private int[] _rankedCandidates = new int[64];
    private uint[] _accumulatorIds = new uint[64];
    private float[] _accumulators = new float[64];
    private uint[] _nextAccumulatorIds = new uint[64];
    private float[] _nextAccumulators = new float[64];
    private byte[] _records = new byte[1024];
    private int _candidateCount;
    private int _accumulatorCount;
    private int _recordBytes;
    private bool _everyEntityRelevant;

    /// <summary>Creates an encoder that keeps the client views of the last <paramref name="ringCapacity"/> snapshots.</summary>
    public SnapshotEncoder(int ringCapacity = DefaultRingCapacity) => _ring = new FrameRing(ringCapacity);

    /// <summary>The newest tick the client acknowledged (0 = none).</summary>
    public uint AcknowledgedTick { get; private set; }

    /// <summary>The tick of the last <see cref="Encode"/> (0 = none yet).</summary>
    public uint LastEncodedTick { get; private set; }

    /// <summary>How many client views are kept: an acknowledgement older than this many snapshots yields a full snapshot.</summary>
    public int RingCapacity => _ring.Capacity;

    /// <summary>
    /// The client says it applied <paramref name="tick"/>. Older than the current acknowledgement, or
    /// not a snapshot this encoder still holds (never sent, or evicted): ignored.
    /// </summary>
    public void Acknowledge(uint tick)
    {
        if (tick > AcknowledgedTick && _ring.Find(tick) is not null)
        {
            AcknowledgedTick = tick;
        }
    }

    /// <summary>Forgets everything sent and acknowledged (a new connection): the next snapshot is full.</summary>
    public void Reset()
    {
        _ring.Clear();
        AcknowledgedTick = 0;
        LastEncodedTick = 0;
        _accumulatorCount = 0;
    }

    /// <summary>The client view stored for <paramref name="tick"/>: what the client holds once it applies that snapshot.</summary>
    public bool TryGetClientView(uint tick, [NotNullWhen(true)] out EntityFrame? frame)
    {
        frame = _ring.Find(tick);
        return frame is not null;
    }

    /// <summary>
    /// Writes the snapshot for <paramref name="tick"/> (greater than the last encoded tick) to
    /// <paramref name="output"/>: a delta against the acknowledged view if still held, else full;
    /// only entities <paramref name="interest"/> finds relevant (all when null, priority 1); at most
    /// <paramref name="budget"/> bytes. Stores the resulting client view under <paramref name="tick"/>.
    /// </summary>
    public SnapshotEncodeResult Encode(EntityFrame current, uint tick, SnapshotBudget budget, IInterest? interest, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(output);
        if (tick == 0 || tick <= LastEncodedTick)
        {
            throw new ArgumentOutOfRangeException(nameof(tick), tick, $"Ticks start at 1 and increase (last encoded: {LastEncodedTick}).");
        }

        EntityFrame? acknowledged = _ring.Find(AcknowledgedTick);
        EntityFrame baseline = acknowledged ?? EntityFrame.Empty;
        uint baselineTick = acknowledged is null ? 0 : AcknowledgedTick;

        Diff(baseline, current, interest);
        int header = SnapshotFormat.HeaderFixedBytes + Leb128.Size((uint)_candidateCount);
        long limit = Math.Max(0L, (long)budget.MaxBytes - header);
        (int sent, int deferred) = WriteRecords(baseline, current, limit);
        if (deferred == 0 && _everyEntityRelevant)
        {
            _view.CopyFrom(current); // the client now holds exactly the server's frame
        }
        else
        {
            BuildView(baseline, current);
        }

        KeepUnsentAccumulators();

        int total = header + _recordBytes;
        Span<byte> destination = output.GetSpan(total);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, tick);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], baselineTick);
        int countBytes = Leb128.Write(destination[SnapshotFormat.HeaderFixedBytes..], (uint)sent);
        int start = SnapshotFormat.HeaderFixedBytes + countBytes;
        _records.AsSpan(0, _recordBytes).CopyTo(destination[start..]);
        int length = start + _recordBytes;
        output.Advance(length);

        _view = _ring.Store(tick, _view);
        LastEncodedTick = tick;
        return new SnapshotEncodeResult(tick, baselineTick, sent, deferred, length);
    }

    /// <summary>
    /// Walks baseline and current in id order and lists what the client lacks: removals (gone or now
    /// irrelevant), creations/replacements and same-length changes, each change with its priority
    /// accumulated (the previous tick's unsent total plus this tick's priority).
    /// </summary>
    private void Diff(EntityFrame baseline, EntityFrame current, IInterest? interest)
    {
        _candidateCount = 0;
        _everyEntityRelevant = true;
        ReadOnlySpan<uint> baselineIds = baseline.Ids, currentIds = current.Ids;
        int b = 0, c = 0, a = 0;
        while (b < baselineIds.Length || c < currentIds.Length)
        {
            if (c == currentIds.Length || (b < baselineIds.Length && baselineIds[b] < currentIds[c]))
            {
                AddCandidate(new Candidate(baselineIds[b], Remove, b, -1, 0));
                b++;
                continue;
            }

            uint id = currentIds[c];
            bool inBaseline = b < baselineIds.Length && baselineIds[b] == id;
            float priority = 1;
            if (interest is not null && !interest.TryGetPriority(id, out priority))
            {
                _everyEntityRelevant = false;
                if (inBaseline)
                {
                    AddCandidate(new Candidate(id, Remove, b, -1, 0));
                }
            }
            else
            {
                ReadOnlySpan<byte> body = current.BodyAt(c);
                ReadOnlySpan<byte> sent = inBaseline ? baseline.BodyAt(b) : default;
                if (!inBaseline || !sent.SequenceEqual(body))
                {
                    while (a < _accumulatorCount && _accumulatorIds[a] < id)
                    {
                        a++;
                    }

                    float carried = a < _accumulatorCount && _accumulatorIds[a] == id ? _accumulators[a] : 0;
                    float accumulated = carried + (priority >= MinimumPriority ? priority : MinimumPriority);
                    bool sameLength = inBaseline && sent.Length == body.Length;
                    AddCandidate(new Candidate(id, sameLength ? Change : Create, inBaseline ? b : -1, c, accumulated));
                }
            }

            b += inBaseline ? 1 : 0;
            c++;
        }
    }

    /// <summary>
    /// Writes records into the scratch buffer: removals in id order, then changes by accumulated
    /// priority (highest first, ties by id), each only if it still fits <paramref name="limit"/>.
    /// A record that does not fit is skipped, so smaller ones behind it may still fill the space.
    /// </summary>
    private (int Sent, int Deferred) WriteRecords(EntityFrame baseline, EntityFrame current, long limit)
    {
        _recordBytes = 0;
        int sent = 0, deferred = 0, ranked = 0;
        for (int i = 0; i < _candidateCount; i++)
        {
            ref Candidate candidate = ref _candidates[i];
            if (candidate.Kind != Remove)
            {
                if (ranked == _rankKeys.Length)
                {
                    Array.Resize(ref _rankKeys, ranked * 2);
                    Array.Resize(ref _rankedCandidates, ranked * 2);
                }

                _rankKeys[ranked] = RankKey(candidate.Accumulated, candidate.Id);
                _rankedCandidates[ranked++] = i;
                continue;
            }

            EnsureRecordSpace(Leb128.MaxLength + 1);
            int before = _recordBytes;
            _records[_recordBytes++] = SnapshotFormat.Removed;
            _recordBytes += Leb128.Write(_records.AsSpan(_recordBytes), candidate.Id);
            Keep(ref candidate, before, limit, ref sent, ref deferred);
        }

        _rankKeys.AsSpan(0, ranked).Sort(_rankedCandidates.AsSpan(0, ranked));
        for (int r = 0; r < ranked; r++)
        {
            ref Candidate candidate = ref _candidates[_rankedCandidates[r]];
            if (_recordBytes + 1 + Leb128.Size(candidate.Id) + 1 > limit)
            {
                deferred++; // even the smallest record for it (kind, id, one byte) cannot fit: do not encode it only to undo it
                continue;
            }

            int before = _recordBytes;
            WriteChange(candidate, baseline, current);
            Keep(ref candidate, before, limit, ref sent, ref deferred);
        }

        return (sent, deferred);
    }

    private void Keep(ref Candidate candidate, int before, long limit, ref int sent, ref int deferred)
    {
        if (_recordBytes <= limit)
        {
            candidate.Sent = true;
            sent++;
        }
        else
        {
            _recordBytes = before;
            deferred++;
        }
    }

    /// <summary>Writes a creation as a full body, and a change as an XOR delta unless the full body is no longer.</summary>
    private void WriteChange(in Candidate candidate, EntityFrame baseline, EntityFrame current)
    {
        ReadOnlySpan<byte> body = current.GetBody(candidate.CurrentIndex);
        int idBytes = Leb128.Size(candidate.Id);
        int fullBytes = 1 + idBytes + Leb128.Size((uint)body.Length) + body.Length;
        int start = _recordBytes;
        if (candidate.Kind == Change)
        {
            EnsureRecordSpace(1 + idBytes + XorDelta.MaxEncodedLength(body.Length));
            _records[_recordBytes++] = SnapshotFormat.Delta;
            _recordBytes += Leb128.Write(_records.AsSpan(_recordBytes), candidate.Id);
            _recordBytes += XorDelta.Encode(baseline.GetBody(candidate.BaselineIndex), body, _records.AsSpan(_recordBytes));
            if (_recordBytes - start <= fullBytes)
            {
                return;
            }

            _recordBytes = start;
        }

        EnsureRecordSpace(fullBytes);
        _records[_recordBytes++] = SnapshotFormat.Full;
        _recordBytes += Leb128.Write(_records.AsSpan(_recordBytes), candidate.Id);
        _recordBytes += Leb128.Write(_records.AsSpan(_recordBytes), (uint)body.Length);
        body.CopyTo(_records.AsSpan(_recordBytes));
        _recordBytes += body.Length;
    }

    /// <summary>The client's next state: the baseline with the sent records applied (unsent ones leave the baseline's entity as it was).</summary>
    private void BuildView(EntityFrame baseline, EntityFrame current)
    {
        _view.Clear();
        ReadOnlySpan<uint> baselineIds = baseline.Ids;
        int b = 0, k = 0;
        while (b < baselineIds.Length || k < _candidateCount)
        {
            if (k < _candidateCount && (b == baselineIds.Length || _candidates[k].Id <= baselineIds[b]))
            {
                ref Candidate candidate = ref _candidates[k++];
                bool inBaseline = b < baselineIds.Length && candidate.Id == baselineIds[b];
                if (candidate.Sent && candidate.Kind != Remove)
                {
                    _view.Append(candidate.Id, current.BodyAt(candidate.CurrentIndex));
                }
                else if (!candidate.Sent && inBaseline)
                {
                    _view.Append(candidate.Id, baseline.BodyAt(b));
                }

                b += inBaseline ? 1 : 0;
                continue;
            }

            _view.Append(baselineIds[b], baseline.BodyAt(b));
            b++;
        }
    }

    /// <summary>Unsent changes carry their accumulated priority to the next tick; everything else starts again from zero.</summary>
    private void KeepUnsentAccumulators()
    {
        int count = 0;
        for (int i = 0; i < _candidateCount; i++)
        {
            ref Candidate candidate = ref _candidates[i];
            if (candidate.Kind != Remove && !candidate.Sent)
            {
                if (count == _nextAccumulatorIds.Length)
                {
                    Array.Resize(ref _nextAccumulatorIds, count * 2);
                    Array.Resize(ref _nextAccumulators, count * 2);
                }

                _nextAccumulatorIds[count] = candidate.Id;
                _nextAccumulators[count] = candidate.Accumulated;
                count++;
            }
        }

        (_accumulatorIds, _nextAccumulatorIds) = (_nextAccumulatorIds, _accumulatorIds);
        (_accumulators, _nextAccumulators) = (_nextAccumulators, _accumulators);
        _accumulatorCount = count;
    }

    private void AddCandidate(Candidate candidate)
    {
        if (_candidateCount == _candidates.Length)
        {
            Array.Resize(ref _candidates, _candidateCount * 2);
        }

        _candidates[_candidateCount++] = candidate;
    }

    private void EnsureRecordSpace(int bytes)
    {
        if (_recordBytes + bytes > _records.Length)
        {
            Array.Resize(ref _records, Math.Max(_recordBytes + bytes, _records.Length * 2));
        }
    }

    private record struct Candidate(uint Id, byte Kind, int BaselineIndex, int CurrentIndex, float Accumulated)
    {
        public bool Sent { get; set; }
    }

    /// <summary>
    /// A key that sorts ascending as priority descending, then id ascending. Accumulated priorities
    /// are positive floats, whose bit patterns order like the values; sorting plain integers with the
    /// runtime's default comparer allocates nothing (a comparer object or delegate would).
    /// </summary>
    private static ulong RankKey(float accumulated, uint id) =>
        ((ulong)~BitConverter.SingleToUInt32Bits(accumulated) << 32) | id;
}
