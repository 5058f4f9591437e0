using System.Net;
using System.Security.Cryptography;
using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Streams;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Tls;

namespace Engine.Transport.Quic;

/// <summary>
/// One QUIC v1 connection as a sans-IO state machine (RFC 9000/9001/9002, DATAGRAM per RFC 9221).
/// Inputs: <see cref="HandleDatagram"/> with the time it arrived, <see cref="HandleTimeout"/>, and
/// application commands (streams, datagrams, close). Outputs: <see cref="PollTransmit"/> fills one
/// UDP payload at a time, <see cref="PollTimeout"/> says when to call back, <see cref="TryPollEvent"/>
/// reports what happened. No socket, thread, timer or clock inside: <c>now</c> is whatever the
/// driver's clock says (a virtual one in tests). Not thread-safe: one driver owns it.
/// </summary>
internal sealed partial class QuicConnectionCore : IDisposable, ISentFrameOwner
{
    /// <summary>Smallest datagram carrying a client Initial (RFC 9000 §14.1).</summary>
    public const int MinInitialDatagramSize = 1200;

    private readonly QuicTransportOptions _options;
    private readonly TlsAdapter _tls;
    private readonly PacketSpaces _spaces;
    private readonly LossRecovery _recovery;
    private readonly StreamManager _streams;
    private readonly DatagramState _datagrams;
    private readonly Queue<QuicConnectionEvent> _events = new();
    private readonly ConnectionIdState _connectionIds;
    private readonly PathState _path;
    private ConnectionState _state = ConnectionState.Handshaking;

    private QuicConnectionCore(
        bool isServer,
        QuicTransportOptions options,
        IPEndPoint remoteAddress,
        byte[] localConnectionId,
        byte[] remoteConnectionId,
        byte[] originalDestinationConnectionId,
        Func<TransportParameters, TlsAdapter> createTls,
        TimeSpan now)
    {
        IsServer = isServer;
        _options = options;
        _connectionIds = new ConnectionIdState(isServer, localConnectionId, remoteConnectionId, originalDestinationConnectionId, options.ActiveConnectionIdLimit);
        _path = new PathState(remoteAddress, isServer, options.MaxDatagramSize);
        _spaces = new PacketSpaces(isServer, originalDestinationConnectionId, options.MaxAckRanges, options.MaxAckDelay);
        _recovery = new LossRecovery(new NewRenoCongestionController(options.MaxDatagramSize), isServer)
        {
            PeerCompletedAddressValidation = isServer,
        };
        _streams = new StreamManager(isServer, options.Streams);
        _datagrams = new DatagramState(options.MaxDatagramFrameSize, options.DatagramReceiveQueueCapacity, options.DatagramSendQueueCapacity);
        _tls = createTls(BuildLocalTransportParameters());
        _idleDeadline = now + HandshakeIdleTimeout();
    }

    private enum ConnectionState
    {
        Handshaking,
        Established,

        /// <summary>We sent CONNECTION_CLOSE and answer further packets with it until the closing period ends.</summary>
        Closing,

        /// <summary>The peer sent CONNECTION_CLOSE; we stay silent until the draining period ends.</summary>
        Draining,

        /// <summary>Nothing left to do; the endpoint may forget the connection.</summary>
        Closed,
    }

    public bool IsServer { get; }

    /// <summary>Where datagrams of this connection go; the driver sends <see cref="PollTransmit"/>'s output here.</summary>
    public IPEndPoint RemoteAddress => _path.RemoteAddress;

    /// <summary>The connection ID peers address us by.</summary>
    public ReadOnlySpan<byte> LocalConnectionId => _connectionIds.Local;

    /// <summary>The destination connection ID of the client's first Initial packet.</summary>
    public ReadOnlySpan<byte> OriginalDestinationConnectionId => _connectionIds.OriginalDestination;

    public bool IsHandshakeComplete => _tls.IsHandshakeComplete;

    public bool IsHandshakeConfirmed { get; private set; }

    /// <summary>True once closing or draining has begun (or ended).</summary>
    public bool IsClosing => _state >= ConnectionState.Closing;

    /// <summary>True when the connection is over and holds nothing more to send.</summary>
    public bool IsClosed => _state == ConnectionState.Closed;

    /// <summary>Why the connection closed; null while it is open.</summary>
    public QuicCloseInfo? CloseInfo { get; private set; }

    public string? NegotiatedApplicationProtocol => _tls.NegotiatedApplicationProtocol;

    public TransportParameters? PeerTransportParameters => _tls.PeerTransportParameters;

    /// <summary>The TLS state machine, for diagnostics and tests (negotiated group, suite).</summary>
    internal TlsHandshake Tls => _tls.Handshake;

    internal LossRecovery Recovery => _recovery;

    /// <summary>The smoothed RTT (RFC 9002 §5.3); null before the first sample.</summary>
    public TimeSpan? SmoothedRtt => _recovery.Rtt.HasSample ? _recovery.Rtt.SmoothedRtt : null;

    /// <summary>The connection IDs in use, for diagnostics and tests.</summary>
    internal ConnectionIdState ConnectionIds => _connectionIds;

    /// <summary>The packet-number spaces and their keys, for diagnostics and tests (which keys are held, crypto bytes written).</summary>
    internal PacketSpaces PacketSpaces => _spaces;

    /// <summary>1-RTT key updates completed (either side initiating).</summary>
    public int KeyUpdates => _spaces.KeyUpdates;

    public QuicConnectionStatistics Statistics { get; } = new();

    /// <summary>Creates the server side of a connection for a client's first Initial packet.</summary>
    public static QuicConnectionCore CreateServer(
        QuicServerOptions options,
        IPEndPoint remoteAddress,
        ReadOnlySpan<byte> originalDestinationConnectionId,
        ReadOnlySpan<byte> clientSourceConnectionId,
        byte[]? localConnectionId,
        TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        byte[] local = localConnectionId ?? RandomNumberGenerator.GetBytes(options.Transport.ConnectionIdLength);
        return new QuicConnectionCore(
            isServer: true,
            options.Transport,
            remoteAddress,
            local,
            clientSourceConnectionId.ToArray(),
            originalDestinationConnectionId.ToArray(),
            parameters => new TlsAdapter(options.Tls, parameters),
            now);
    }

    /// <summary>Creates a client connection; its first Initial is ready from <see cref="PollTransmit"/>.</summary>
    public static QuicConnectionCore CreateClient(QuicClientOptions options, IPEndPoint remoteAddress, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        byte[] local = RandomNumberGenerator.GetBytes(options.Transport.ConnectionIdLength);
        byte[] initialDestination = RandomNumberGenerator.GetBytes(8);
        var connection = new QuicConnectionCore(
            isServer: false,
            options.Transport,
            remoteAddress,
            local,
            initialDestination,
            initialDestination,
            parameters => new TlsAdapter(options.Tls, parameters),
            now);
        connection._tls.Start();
        connection.DrainTlsOutput(now);
        return connection;
    }

    /// <summary>Takes the next event, if any.</summary>
    public bool TryPollEvent(out QuicConnectionEvent connectionEvent)
    {
        if (_events.TryDequeue(out connectionEvent))
        {
            if (connectionEvent.Kind == QuicConnectionEventKind.DatagramReceived)
            {
                _datagrams.OnEventTaken();
            }

            return true;
        }

        while (_streams.TryDequeueEvent(out StreamEvent streamEvent))
        {
            QuicConnectionEventKind kind = streamEvent.Kind switch
            {
                StreamEventKind.Opened => QuicConnectionEventKind.StreamOpened,
                StreamEventKind.Readable => QuicConnectionEventKind.StreamReadable,
                StreamEventKind.Writable => QuicConnectionEventKind.StreamWritable,
                StreamEventKind.PeerReset => QuicConnectionEventKind.StreamPeerReset,
                StreamEventKind.PeerStopSending => QuicConnectionEventKind.StreamPeerStopSending,
                StreamEventKind.StreamsAvailable => QuicConnectionEventKind.StreamsAvailable,
                _ => QuicConnectionEventKind.StreamFinished,
            };
            connectionEvent = new QuicConnectionEvent(kind, streamEvent.StreamId, streamEvent.ErrorCode);
            return true;
        }

        return false;
    }

    public void Dispose()
    {
        _spaces.Dispose();
        _tls.Dispose();
    }

    private PacketSpaceState Space(QuicPacketSpace space) => _spaces[space];

    private void Emit(QuicConnectionEventKind kind, long streamId = -1, ulong errorCode = 0) =>
        _events.Enqueue(new QuicConnectionEvent(kind, streamId, errorCode));

    private TransportParameters BuildLocalTransportParameters()
    {
        StreamManagerOptions streams = _options.Streams;
        return new TransportParameters
        {
            OriginalDestinationConnectionId = IsServer ? _connectionIds.OriginalDestination.ToArray() : null,
            InitialSourceConnectionId = _connectionIds.Local.ToArray(),
            MaxIdleTimeout = (ulong)_options.IdleTimeout.TotalMilliseconds,
            MaxUdpPayloadSize = (ulong)_options.MaxReceiveDatagramSize,
            InitialMaxData = streams.InitialMaxData,
            InitialMaxStreamDataBidiLocal = streams.InitialMaxStreamDataBidiLocal,
            InitialMaxStreamDataBidiRemote = streams.InitialMaxStreamDataBidiRemote,
            InitialMaxStreamDataUni = streams.InitialMaxStreamDataUni,
            InitialMaxStreamsBidi = streams.MaxStreamsBidi,
            InitialMaxStreamsUni = streams.MaxStreamsUni,
            AckDelayExponent = AckDelayExponent,
            MaxAckDelay = (ulong)_options.MaxAckDelay.TotalMilliseconds,
            DisableActiveMigration = IsServer,
            ActiveConnectionIdLimit = (ulong)_options.ActiveConnectionIdLimit,
            MaxDatagramFrameSize = (ulong)_options.MaxDatagramFrameSize,
        };
    }
}
