using Engine.Transport.Quic.Crypto;

namespace Engine.Transport.Quic;

internal sealed partial class QuicConnectionCore
{
    private bool _keyPhase;
    private PacketProtection? _previousReadKeys;
    private PacketProtection? _nextReadKeys;
    private long _keyPhaseFirstPacket;
    private bool _awaitingPeerKeyUpdate;

    /// <summary>1-RTT key updates completed (either side initiating).</summary>
    public int KeyUpdates { get; private set; }

    /// <summary>
    /// Removes 1-RTT protection, following key updates (RFC 9001 §6): a flipped key phase bit is
    /// either a late packet of the previous phase or the peer's update, which we answer by
    /// rotating our own keys. Returns false (drop) when no key opens the packet.
    /// </summary>
    private bool TryUnprotectOneRtt(PacketSpaceState space, Span<byte> packet, int packetNumberOffset, out UnprotectedPacket result)
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
            else if (IsHandshakeConfirmed)
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

    /// <summary>Starts a key update from our side (used by tests; real use waits for AEAD limits).</summary>
    internal void InitiateKeyUpdate()
    {
        PacketSpaceState space = Space(QuicPacketSpace.ApplicationData);
        if (!IsHandshakeConfirmed || space.ReadKeys is null || _awaitingPeerKeyUpdate)
        {
            throw new InvalidOperationException("A key update needs a confirmed handshake and the previous update acknowledged.");
        }

        _nextReadKeys ??= space.ReadKeys.CreateNextKeyPhase();
        RotateKeys(space, space.Received.LargestReceived + 1);
        _awaitingPeerKeyUpdate = true;
        Touch();
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

    private void DisposeKeyUpdateKeys()
    {
        _previousReadKeys?.Dispose();
        _nextReadKeys?.Dispose();
    }
}
