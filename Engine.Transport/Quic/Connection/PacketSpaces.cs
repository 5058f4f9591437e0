using Engine.Transport.Quic.Crypto;

namespace Engine.Transport.Quic.Connection;

/// <summary>
/// The three packet-number spaces of a connection and the 1-RTT key phase (RFC 9001 §6): owns
/// every packet protection key, opens received packets with the right one, and rotates keys on
/// a key update from either side. The connection decides when spaces are discarded.
/// </summary>
internal sealed class PacketSpaces : IDisposable
{
    private readonly PacketSpaceState[] _spaces;
    private bool _keyPhase;
    private PacketProtection? _previousReadKeys;
    private PacketProtection? _nextReadKeys;
    private long _keyPhaseFirstPacket;
    private bool _awaitingPeerKeyUpdate;

    /// <param name="isServer">Which side we are: it picks which Initial secret reads and which writes.</param>
    /// <param name="originalDestinationConnectionId">The client's first destination ID, from which Initial keys derive (RFC 9001 §5.2).</param>
    /// <param name="maxAckRanges">Most ranges one ACK frame reports.</param>
    /// <param name="maxAckDelay">Our max_ack_delay, for 1-RTT ACKs.</param>
    public PacketSpaces(bool isServer, ReadOnlySpan<byte> originalDestinationConnectionId, int maxAckRanges, TimeSpan maxAckDelay)
    {
        _spaces =
        [
            new PacketSpaceState(QuicPacketSpace.Initial, maxAckRanges, maxAckDelay),
            new PacketSpaceState(QuicPacketSpace.Handshake, maxAckRanges, maxAckDelay),
            new PacketSpaceState(QuicPacketSpace.ApplicationData, maxAckRanges, maxAckDelay),
        ];
        PacketSpaceState initial = _spaces[0];
        initial.ReadKeys = isServer
            ? InitialSecrets.CreateClientProtection(originalDestinationConnectionId)
            : InitialSecrets.CreateServerProtection(originalDestinationConnectionId);
        initial.WriteKeys = isServer
            ? InitialSecrets.CreateServerProtection(originalDestinationConnectionId)
            : InitialSecrets.CreateClientProtection(originalDestinationConnectionId);
    }

    public PacketSpaceState this[QuicPacketSpace space] => _spaces[(int)space];

    /// <summary>Initial, Handshake and 1-RTT, in the order their packets are coalesced in a datagram.</summary>
    public ReadOnlySpan<PacketSpaceState> All => _spaces;

    /// <summary>The key phase bit our 1-RTT packets carry.</summary>
    public bool KeyPhase => _keyPhase;

    /// <summary>1-RTT key updates completed (either side initiating).</summary>
    public int KeyUpdates { get; private set; }

    /// <summary>Whether keys for <paramref name="space"/> are still held (false before installed and once discarded).</summary>
    public bool HasKeys(QuicPacketSpace space) => this[space].CanReceive;

    /// <summary>Drops a space's keys (RFC 9001 §4.9); true when it was not already discarded.</summary>
    public bool Discard(QuicPacketSpace space)
    {
        PacketSpaceState state = this[space];
        if (state.IsDiscarded)
        {
            return false;
        }

        state.Discard();
        return true;
    }

    /// <summary>The earliest time an owed ACK falls due in any space that can send; null when none is owed.</summary>
    public TimeSpan? EarliestAckDeadline()
    {
        TimeSpan? earliest = null;
        foreach (PacketSpaceState space in _spaces)
        {
            if (space.AckDeadline() is { } deadline && (earliest is null || deadline < earliest))
            {
                earliest = deadline;
            }
        }

        return earliest;
    }

    /// <summary>
    /// Removes packet protection with the space's read keys. 1-RTT packets follow key updates
    /// (RFC 9001 §6): a flipped key phase bit is either a late packet of the previous phase or the
    /// peer's update, answered by rotating our own keys, which needs a confirmed handshake.
    /// Returns false (drop) when no key opens the packet.
    /// </summary>
    public bool TryUnprotect(PacketSpaceState space, Span<byte> packet, int packetNumberOffset, bool handshakeConfirmed, out UnprotectedPacket result)
    {
        PacketProtection keys = space.ReadKeys!;
        return space.Space == QuicPacketSpace.ApplicationData
            ? TryUnprotectOneRtt(space, packet, packetNumberOffset, handshakeConfirmed, out result)
            : keys.TryUnprotect(packet, packetNumberOffset, space.Received.LargestReceived, out result);
    }

    /// <summary>Starts a key update from our side; the handshake must be confirmed and the previous update answered.</summary>
    public void InitiateKeyUpdate(bool handshakeConfirmed)
    {
        PacketSpaceState space = this[QuicPacketSpace.ApplicationData];
        if (!handshakeConfirmed || space.ReadKeys is null || _awaitingPeerKeyUpdate)
        {
            throw new InvalidOperationException("A key update needs a confirmed handshake and the previous update acknowledged.");
        }

        _nextReadKeys ??= space.ReadKeys.CreateNextKeyPhase();
        RotateKeys(space, space.Received.LargestReceived + 1);
        _awaitingPeerKeyUpdate = true;
    }

    public void Dispose()
    {
        foreach (PacketSpaceState space in _spaces)
        {
            space.Dispose();
        }

        _previousReadKeys?.Dispose();
        _nextReadKeys?.Dispose();
    }

    private bool TryUnprotectOneRtt(PacketSpaceState space, Span<byte> packet, int packetNumberOffset, bool handshakeConfirmed, out UnprotectedPacket result)
    {
        result = default;
        PacketProtection current = space.ReadKeys!;
        if (!current.TryRemoveHeaderProtection(packet, packetNumberOffset, space.Received.LargestReceived, out long packetNumber, out int packetNumberLength))
        {
            return false;
        }

        int headerLength = packetNumberOffset + packetNumberLength;
        bool phase = (packet[0] & 0x04) != 0;
        PacketProtection keys = current;
        bool peerUpdate = false;
        if (phase != _keyPhase)
        {
            if (_previousReadKeys is not null && (_awaitingPeerKeyUpdate || packetNumber < _keyPhaseFirstPacket))
            {
                keys = _previousReadKeys;
            }
            else if (handshakeConfirmed)
            {
                _nextReadKeys ??= current.CreateNextKeyPhase();
                keys = _nextReadKeys;
                peerUpdate = true;
            }
            else
            {
                return false; // a key update before confirmation cannot be genuine (RFC 9001 §6.1)
            }
        }

        if (!keys.TryDecryptPayload(packet, headerLength, packetNumber, out int payloadLength))
        {
            return false;
        }

        if (phase == _keyPhase && keys == current)
        {
            _awaitingPeerKeyUpdate = false;
        }

        if (peerUpdate)
        {
            RotateKeys(space, packetNumber);
        }

        result = new UnprotectedPacket(packetNumber, packetNumberLength, headerLength, payloadLength);
        return true;
    }

    private void RotateKeys(PacketSpaceState space, long firstPacketOfPhase)
    {
        _previousReadKeys?.Dispose();
        _previousReadKeys = space.ReadKeys;
        space.ReadKeys = _nextReadKeys;
        _nextReadKeys = null;
        PacketProtection oldWrite = space.WriteKeys!;
        space.WriteKeys = oldWrite.CreateNextKeyPhase();
        oldWrite.Dispose();
        _keyPhase = !_keyPhase;
        _keyPhaseFirstPacket = firstPacketOfPhase;
        KeyUpdates++;
    }
}
