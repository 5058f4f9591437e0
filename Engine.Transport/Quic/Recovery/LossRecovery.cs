using System.Runtime.InteropServices;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic.Recovery;

/// <summary>
/// Sender-side loss detection for the three packet-number spaces (RFC 9002 §6 and Appendix A):
/// tracks sent packets, processes ACK frames, declares packets lost by packet and time
/// threshold, runs the probe timeout with exponential backoff, detects persistent congestion
/// and feeds a congestion controller. Sans-IO: every entry point takes the current time and the
/// connection arms its own timer from <see cref="LossDetectionTimer"/>.
/// <para>
/// Frame owners learn the fate of each frame through <see cref="ISentFrameOwner"/>; within one
/// call, acknowledged frames are reported before lost ones. Callbacks may rent and send new
/// packets but must not re-enter <see cref="OnAckReceived"/> or <see cref="OnLossDetectionTimeout"/>.
/// </para>
/// </summary>
internal sealed partial class LossRecovery
{
    /// <summary>kPacketThreshold (RFC 9002 §6.1.1).</summary>
    public const int PacketThreshold = 3;

    /// <summary>kPersistentCongestionThreshold (RFC 9002 §7.6.1).</summary>
    public const int PersistentCongestionThreshold = 3;

    /// <summary>kGranularity (RFC 9002 §6.1.2).</summary>
    public static readonly TimeSpan Granularity = TimeSpan.FromMilliseconds(1);

    private const int SpaceCount = 3;
    private const int MaxBackoffShift = 30;

    private readonly bool _isServer;
    private readonly SentPacketQueue[] _sent = [new(), new(), new()];
    private readonly long[] _nextPacketNumber = new long[SpaceCount];
    private readonly long[] _largestSent = [-1, -1, -1];
    private readonly long[] _largestAcked = [-1, -1, -1];
    private readonly TimeSpan?[] _lossTime = new TimeSpan?[SpaceCount];
    private readonly TimeSpan?[] _lastAckElicitingSent = new TimeSpan?[SpaceCount];
    private readonly int[] _ackElicitingInFlight = new int[SpaceCount];
    private readonly int[] _probesRequested = new int[SpaceCount];
    private readonly Stack<SentPacket> _pool = new();
    private readonly List<SentPacket> _newlyAcked = new(64);
    private readonly List<SentPacket> _newlyLost = new(64);

    private bool _peerCompletedAddressValidation;
    private TimeSpan? _firstRttSampleTime;

    // "now" of the last event that would re-arm the timer in RFC 9002 A.5–A.9; the base of the
    // anti-deadlock PTO, which has no sent packet to count from.
    private TimeSpan _timerBase;

    public LossRecovery(ICongestionController congestionController, bool isServer)
    {
        ArgumentNullException.ThrowIfNull(congestionController);
        CongestionController = congestionController;
        _isServer = isServer;
    }

    public RecoveryRttEstimator Rtt { get; } = new();

    public ICongestionController CongestionController { get; }

    /// <summary>The peer's max_ack_delay transport parameter.</summary>
    public TimeSpan PeerMaxAckDelay { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>Arms the PTO for application data and caps the ack delay used for RTT.</summary>
    public bool HandshakeConfirmed { get; set; }

    /// <summary>
    /// Client: the server has validated our address (a Handshake ACK arrived or the handshake is
    /// confirmed). Until then the PTO stays armed with nothing in flight (RFC 9002 §6.2.2.1).
    /// Always true for a server.
    /// </summary>
    public bool PeerCompletedAddressValidation
    {
        get => _isServer || _peerCompletedAddressValidation;
        set => _peerCompletedAddressValidation = value;
    }

    /// <summary>Whether Handshake keys are available: where an anti-deadlock probe goes.</summary>
    public bool HasHandshakeKeys { get; set; }

    /// <summary>
    /// Server: blocked by the anti-amplification limit. The PTO is then not armed
    /// (RFC 9002 §6.2.2.1); loss-time timers still are.
    /// </summary>
    public bool AtAntiAmplificationLimit { get; set; }

    public int PtoCount { get; private set; }

    /// <summary>SentPacket instances ever created by <see cref="RentPacket"/> (pool diagnostics).</summary>
    public int PacketsAllocated { get; private set; }

    /// <summary>
    /// When the connection must call <see cref="OnLossDetectionTimeout"/>: the earliest loss time,
    /// else the PTO deadline (RFC 9002 §6.2.1); null when neither is armed.
    /// </summary>
    public TimeSpan? LossDetectionTimer
    {
        get
        {
            if (EarliestLossTime(out _) is { } lossTime)
            {
                return lossTime;
            }

            if (AtAntiAmplificationLimit)
            {
                return null;
            }

            if (TotalAckElicitingInFlight == 0 && PeerCompletedAddressValidation)
            {
                return null;
            }

            return PtoTimeAndSpace(out _);
        }
    }

    private int TotalAckElicitingInFlight =>
        _ackElicitingInFlight[0] + _ackElicitingInFlight[1] + _ackElicitingInFlight[2];

    /// <summary>A cleared packet from the pool; give it back through <see cref="OnPacketSent"/>.</summary>
    public SentPacket RentPacket()
    {
        if (_pool.TryPop(out SentPacket? packet))
        {
            return packet;
        }

        PacketsAllocated++;
        return new SentPacket();
    }

    /// <summary>Allocates the next packet number in <paramref name="space"/> (0, 1, 2, ...).</summary>
    public long NextPacketNumber(QuicPacketSpace space) => _nextPacketNumber[(int)space]++;

    public long LargestSent(QuicPacketSpace space) => _largestSent[(int)space];

    public long LargestAcked(QuicPacketSpace space) => _largestAcked[(int)space];

    /// <summary>
    /// Records a sent packet (RFC 9002 A.5); the instance belongs to loss recovery from now on.
    /// Packets neither in flight nor ack-eliciting are kept only when they carry frames other than
    /// PADDING (an ACK frame, so the acknowledgment tracker can prune); a newer such packet
    /// supersedes one still at the tail of the space.
    /// </summary>
    public void OnPacketSent(QuicPacketSpace space, SentPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        int s = (int)space;
        if (packet.PacketNumber <= _largestSent[s] || packet.PacketNumber >= _nextPacketNumber[s])
        {
            throw new ArgumentException(
                $"Packet number {packet.PacketNumber} was not allocated by NextPacketNumber or is not above {_largestSent[s]}.",
                nameof(packet));
        }

        _largestSent[s] = packet.PacketNumber;
        _timerBase = packet.TimeSent;
        SentPacketQueue queue = _sent[s];

        if (!packet.InFlight && !packet.AckEliciting)
        {
            if (!CarriesReportableFrames(packet))
            {
                ReturnToPool(packet);
                return;
            }

            if (queue.Last is { InFlight: false, AckEliciting: false } superseded)
            {
                queue[queue.Count - 1].Packet = null;
                ReturnToPool(superseded);
                queue.TrimHead();
            }
        }

        queue.Add(packet);
        if (packet.InFlight)
        {
            if (packet.AckEliciting)
            {
                _lastAckElicitingSent[s] = packet.TimeSent;
                _ackElicitingInFlight[s]++;
            }

            CongestionController.OnPacketSent(packet.TimeSent, packet.Size);
        }
    }

    /// <summary>
    /// Processes one ACK frame (RFC 9002 A.7). Returns PROTOCOL_VIOLATION when it acknowledges a
    /// packet number never sent in <paramref name="space"/>; nothing is changed then.
    /// </summary>
    public QuicTransportErrorCode OnAckReceived(
        QuicPacketSpace space, scoped in AckFrame ack, int peerAckDelayExponent, TimeSpan now, ISentFrameOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        int s = (int)space;
        if (ack.LargestAcknowledged > (ulong)long.MaxValue || (long)ack.LargestAcknowledged > _largestSent[s])
        {
            return QuicTransportErrorCode.ProtocolViolation;
        }

        long largestAcknowledged = (long)ack.LargestAcknowledged;
        if (largestAcknowledged > _largestAcked[s])
        {
            _largestAcked[s] = largestAcknowledged;
        }

        SentPacket? largestNewlyAcked = RemoveAcknowledged(s, ack);
        if (largestNewlyAcked is null)
        {
            return QuicTransportErrorCode.NoError;
        }

        // An RTT sample needs the largest acknowledged newly acknowledged and something
        // ack-eliciting among the newly acknowledged (RFC 9002 §5.1).
        if (largestNewlyAcked.PacketNumber == largestAcknowledged && AnyAckEliciting(_newlyAcked))
        {
            TimeSpan ackDelay = space == QuicPacketSpace.ApplicationData
                ? DecodeAckDelay(ack.AckDelay, peerAckDelayExponent)
                : TimeSpan.Zero;
            Rtt.Update(now - largestNewlyAcked.TimeSent, ackDelay, HandshakeConfirmed, PeerMaxAckDelay);
            _firstRttSampleTime ??= now;
        }

        DetectAndRemoveLostPackets(s, now);

        foreach (SentPacket packet in _newlyAcked)
        {
            if (packet.InFlight)
            {
                CongestionController.OnPacketAcked(packet.TimeSent, packet.Size, now);
            }
        }

        // A client keeps backing off until the server has validated its address (RFC 9002 A.7).
        if (PeerCompletedAddressValidation)
        {
            PtoCount = 0;
        }

        _timerBase = now;
        ReportAndRecycle(space, owner);
        return QuicTransportErrorCode.NoError;
    }

    /// <summary>
    /// The loss detection timer fired (RFC 9002 A.9): declares packets lost when a loss time
    /// expired, otherwise counts a PTO and requests probes (two in the space with the earliest
    /// PTO; one Handshake, else Initial, for the client's anti-deadlock probe). Does nothing
    /// before <see cref="LossDetectionTimer"/>.
    /// </summary>
    public void OnLossDetectionTimeout(TimeSpan now, ISentFrameOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (LossDetectionTimer is not { } deadline || now < deadline)
        {
            return;
        }

        _timerBase = now;
        if (EarliestLossTime(out int lossSpace) is not null)
        {
            DetectAndRemoveLostPackets(lossSpace, now);
            ReportAndRecycle((QuicPacketSpace)lossSpace, owner);
            return;
        }

        if (TotalAckElicitingInFlight == 0)
        {
            RequestProbes(HasHandshakeKeys ? QuicPacketSpace.Handshake : QuicPacketSpace.Initial, 1);
        }
        else
        {
            PtoTimeAndSpace(out QuicPacketSpace ptoSpace);
            RequestProbes(ptoSpace, 2);
        }

        PtoCount++;
    }

    /// <summary>Takes one requested probe: the connection sends an ack-eliciting packet in <paramref name="space"/>, ignoring the congestion window.</summary>
    public bool TryTakeProbe(out QuicPacketSpace space)
    {
        for (int s = 0; s < SpaceCount; s++)
        {
            if (_probesRequested[s] > 0)
            {
                _probesRequested[s]--;
                space = (QuicPacketSpace)s;
                return true;
            }
        }

        space = default;
        return false;
    }

    /// <summary>
    /// The keys of <paramref name="space"/> were discarded (RFC 9002 §6.4, A.11): forgets its sent
    /// packets without loss callbacks, removes them from bytes in flight and resets the PTO count.
    /// </summary>
    public void DiscardSpace(QuicPacketSpace space)
    {
        int s = (int)space;
        SentPacketQueue queue = _sent[s];
        for (int i = 0; i < queue.Count; i++)
        {
            if (queue[i].Packet is { } packet)
            {
                if (packet.InFlight)
                {
                    CongestionController.OnPacketDiscarded(packet.Size);
                }

                ReturnToPool(packet);
            }
        }

        queue.Clear();
        _ackElicitingInFlight[s] = 0;
        _lastAckElicitingSent[s] = null;
        _lossTime[s] = null;
        _probesRequested[s] = 0;
        PtoCount = 0;
    }

    /// <summary>
    /// The current PTO period without backoff: smoothed_rtt + max(4 * rttvar, kGranularity), plus
    /// the peer's max_ack_delay once the handshake is confirmed (application data).
    /// </summary>
    public TimeSpan ProbeTimeout() =>
        BasePto() + (HandshakeConfirmed ? PeerMaxAckDelay : TimeSpan.Zero);

    /// <summary>The ACK Delay field in time: encoded * 2^exponent microseconds, saturating.</summary>
    internal static TimeSpan DecodeAckDelay(ulong encoded, int exponent)
    {
        exponent = Math.Clamp(exponent, 0, 20);
        const ulong maxMicroseconds = (ulong)(long.MaxValue / TimeSpan.TicksPerMicrosecond);
        if (encoded > maxMicroseconds >> exponent)
        {
            return TimeSpan.FromTicks((long)maxMicroseconds * TimeSpan.TicksPerMicrosecond);
        }

        return TimeSpan.FromTicks((long)(encoded << exponent) * TimeSpan.TicksPerMicrosecond);
    }

    private TimeSpan BasePto() => Rtt.SmoothedRtt + Max(4 * Rtt.RttVariation, Granularity);

    // Moves newly acknowledged packets to _newlyAcked; returns the largest or null.
    private SentPacket? RemoveAcknowledged(int s, scoped in AckFrame ack)
    {
        SentPacketQueue queue = _sent[s];
        SentPacket? largest = null;
        foreach (AckRange range in ack.GetRanges())
        {
            // Ranges come largest first: once below the oldest tracked packet, nothing more to find.
            if (queue.Count == 0 || (long)range.Largest < queue[0].PacketNumber)
            {
                break;
            }

            for (int i = queue.LowerBound((long)range.Smallest); i < queue.Count; i++)
            {
                ref SentPacketQueue.Slot slot = ref queue[i];
                if (slot.PacketNumber > (long)range.Largest)
                {
                    break;
                }

                if (slot.Packet is not { } packet)
                {
                    continue;
                }

                slot.Packet = null;
                slot.Acked = true;
                OnRemoved(s, packet);
                _newlyAcked.Add(packet);
                if (largest is null || packet.PacketNumber > largest.PacketNumber)
                {
                    largest = packet;
                }
            }
        }

        return largest;
    }

    private void OnRemoved(int s, SentPacket packet)
    {
        if (packet.InFlight && packet.AckEliciting)
        {
            _ackElicitingInFlight[s]--;
        }
    }

    private void ReportAndRecycle(QuicPacketSpace space, ISentFrameOwner owner)
    {
        _sent[(int)space].TrimHead();
        foreach (SentPacket packet in _newlyAcked)
        {
            foreach (ref readonly SentFrame frame in CollectionsMarshal.AsSpan(packet.Frames))
            {
                owner.OnFrameAcked(space, in frame);
            }
        }

        foreach (SentPacket packet in _newlyLost)
        {
            foreach (ref readonly SentFrame frame in CollectionsMarshal.AsSpan(packet.Frames))
            {
                owner.OnFrameLost(space, in frame);
            }
        }

        foreach (SentPacket packet in _newlyAcked)
        {
            ReturnToPool(packet);
        }

        foreach (SentPacket packet in _newlyLost)
        {
            ReturnToPool(packet);
        }

        _newlyAcked.Clear();
        _newlyLost.Clear();
    }

    private TimeSpan? EarliestLossTime(out int space)
    {
        TimeSpan? earliest = null;
        space = 0;
        for (int s = 0; s < SpaceCount; s++)
        {
            if (_lossTime[s] is { } time && (earliest is null || time < earliest))
            {
                earliest = time;
                space = s;
            }
        }

        return earliest;
    }

    // RFC 9002 A.8 GetPtoTimeAndSpace; null when nothing can arm it.
    private TimeSpan? PtoTimeAndSpace(out QuicPacketSpace space)
    {
        TimeSpan duration = Backoff(BasePto());
        if (TotalAckElicitingInFlight == 0)
        {
            // Client anti-deadlock: nothing in flight to count from.
            space = HasHandshakeKeys ? QuicPacketSpace.Handshake : QuicPacketSpace.Initial;
            return _timerBase + duration;
        }

        TimeSpan? earliest = null;
        space = QuicPacketSpace.Initial;
        for (int s = 0; s < SpaceCount; s++)
        {
            if (_ackElicitingInFlight[s] == 0 || _lastAckElicitingSent[s] is not { } lastSent)
            {
                continue;
            }

            TimeSpan spaceDuration = duration;
            if (s == (int)QuicPacketSpace.ApplicationData)
            {
                if (!HandshakeConfirmed)
                {
                    break;
                }

                spaceDuration += Backoff(PeerMaxAckDelay);
            }

            TimeSpan deadline = lastSent + spaceDuration;
            if (earliest is null || deadline < earliest)
            {
                earliest = deadline;
                space = (QuicPacketSpace)s;
            }
        }

        return earliest;
    }

    private TimeSpan Backoff(TimeSpan duration)
    {
        int shift = Math.Min(PtoCount, MaxBackoffShift);
        long limit = long.MaxValue >> (shift + 2);
        return duration.Ticks > limit ? TimeSpan.FromTicks(limit << shift) : TimeSpan.FromTicks(duration.Ticks << shift);
    }

    private void RequestProbes(QuicPacketSpace space, int count) =>
        _probesRequested[(int)space] = Math.Max(_probesRequested[(int)space], count);

    private void ReturnToPool(SentPacket packet)
    {
        packet.Reset();
        _pool.Push(packet);
    }

    private static bool CarriesReportableFrames(SentPacket packet)
    {
        foreach (SentFrame frame in packet.Frames)
        {
            if (frame.Kind != SentFrameKind.Padding)
            {
                return true;
            }
        }

        return false;
    }

    private static bool AnyAckEliciting(List<SentPacket> packets)
    {
        foreach (SentPacket packet in packets)
        {
            if (packet.AckEliciting)
            {
                return true;
            }
        }

        return false;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
