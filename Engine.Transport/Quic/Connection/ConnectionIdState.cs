using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic.Connection;

/// <summary>
/// The connection IDs of one connection (RFC 9000 §5.1): the one peers address us by, the one we
/// address the peer by (which a client replaces with the server's choice from its first Initial,
/// RFC 9000 §7.2), the client's original destination ID, and the bookkeeping of the spare IDs the
/// peer issues. We issue only sequence 0 and never migrate, so spares are counted, not used.
/// </summary>
internal sealed class ConnectionIdState
{
    private readonly byte[] _local;
    private readonly byte[] _originalDestination;
    private readonly bool _isServer;
    private readonly int _activeLimit;
    private byte[] _remote;
    private ulong _highestPeerSequence;

    /// <param name="isServer">Which side we are.</param>
    /// <param name="local">The ID we chose for peers to address us by.</param>
    /// <param name="remote">The peer's: a server's client-chosen Source ID, or a client's random first destination.</param>
    /// <param name="originalDestination">The destination ID of the client's first Initial.</param>
    /// <param name="activeLimit">Our active_connection_id_limit: how many of the peer's IDs we agree to hold.</param>
    public ConnectionIdState(bool isServer, byte[] local, byte[] remote, byte[] originalDestination, int activeLimit)
    {
        _isServer = isServer;
        _local = local;
        _remote = remote;
        _originalDestination = originalDestination;
        _activeLimit = activeLimit;
    }

    /// <summary>The connection ID peers address us by.</summary>
    public ReadOnlySpan<byte> Local => _local;

    /// <summary>The connection ID we address the peer by.</summary>
    public ReadOnlySpan<byte> Remote => _remote;

    /// <summary>The destination connection ID of the client's first Initial packet.</summary>
    public ReadOnlySpan<byte> OriginalDestination => _originalDestination;

    /// <summary>A client has taken the server's chosen ID from its first Initial (always false on a server).</summary>
    public bool RemoteConfirmed { get; private set; }

    /// <summary>Highest sequence number among the connection IDs the peer issued with NEW_CONNECTION_ID.</summary>
    public ulong HighestPeerSequence => _highestPeerSequence;

    /// <summary>Whether a packet addressed to <paramref name="destination"/> belongs to this connection.</summary>
    public bool IsOurs(ReadOnlySpan<byte> destination, QuicPacketType type)
    {
        if (destination.SequenceEqual(_local))
        {
            return true;
        }

        // Until the client has heard from us it still addresses us by the ID it chose.
        return _isServer && type is QuicPacketType.Initial && destination.SequenceEqual(_originalDestination);
    }

    /// <summary>
    /// An authenticated Initial arrived with <paramref name="source"/> as its Source Connection ID:
    /// a client adopts the first one as the server's ID (RFC 9000 §7.2).
    /// </summary>
    public void OnInitialPacket(ReadOnlySpan<byte> source)
    {
        if (_isServer || RemoteConfirmed)
        {
            return;
        }

        _remote = source.ToArray();
        RemoteConfirmed = true;
    }

    /// <summary>Counts a spare ID the peer issued; errors when the peer exceeds our limit or may not issue IDs.</summary>
    public QuicTransportErrorCode OnNewConnectionId(scoped NewConnectionIdFrame frame)
    {
        // A peer that chose a zero-length connection ID cannot issue others (RFC 9000 §19.15).
        if (_remote.Length == 0 || frame.RetirePriorTo > frame.SequenceNumber)
        {
            return QuicTransportErrorCode.ProtocolViolation;
        }

        if (frame.SequenceNumber > _highestPeerSequence)
        {
            _highestPeerSequence = frame.SequenceNumber;
        }

        ulong active = _highestPeerSequence + 1 - Math.Min(_highestPeerSequence + 1, frame.RetirePriorTo);
        return active > (ulong)_activeLimit ? QuicTransportErrorCode.ConnectionIdLimitError : QuicTransportErrorCode.NoError;
    }

    /// <summary>The peer retires one of our IDs; we only ever issued sequence 0.</summary>
    public static QuicTransportErrorCode OnRetireConnectionId(ulong sequenceNumber) =>
        sequenceNumber == 0 ? QuicTransportErrorCode.NoError : QuicTransportErrorCode.ProtocolViolation;
}
