using System.Net;
using System.Net.Sockets;
using Engine.Transport.Net;
using Engine.Transport.WebTransport;

namespace Engine.Bench.Load;

/// <summary>The client end of one <c>datagram-echo</c> stack: send a datagram, wait for the next one back.</summary>
internal abstract class DatagramEchoChannel : IAsyncDisposable
{
    /// <summary>What carries the datagrams, for the report.</summary>
    public abstract string Description { get; }

    /// <summary>Connects to the server's <c>listening</c> address (with its certificate's SHA-256 for quic and wt).</summary>
    public static async Task<DatagramEchoChannel> ConnectAsync(string stack, Uri address, byte[]? certificateHash) => stack switch
    {
        "udp" => new Udp(new IPEndPoint(IPAddress.Parse(address.Host), address.Port)),
        "quic" => Quic(await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = new IPEndPoint(IPAddress.Parse(address.Host), address.Port),
            ApplicationProtocols = ["echo"],
            ServerCertificateHashes = [certificateHash!],
        })),
        _ => WebTransport(await WebTransportClient.ConnectAsync(address, new WebTransportClientOptions { ServerCertificateHashes = [certificateHash!] })),
    };

    private static Engine Quic(QuicConnection connection) => new(
        $"Engine QUIC (Engine.Transport.Net public API): QuicListener / QuicConnection.ConnectAsync, ALPN \"{connection.NegotiatedApplicationProtocol}\", " +
        $"TrySendDatagram / ReceiveDatagramAsync (RFC 9221 datagrams, max {connection.MaxDatagramSendSize} B)",
        payload => connection.TrySendDatagram(payload), connection.ReceiveDatagramAsync, connection);

    private static Engine WebTransport(WebTransportSession session) => new(
        "Engine WebTransport (draft-02 over HTTP/3): Http3Server + WebTransportServerOptions, WebTransportClient.ConnectAsync with the certificate's SHA-256, " +
        $"session TrySendDatagram / ReceiveDatagramAsync (max {session.MaxDatagramSize} B)",
        payload => session.TrySendDatagram(payload), session.ReceiveDatagramAsync, session);

    /// <summary>Sends one datagram (copied before returning).</summary>
    public abstract void Send(byte[] payload);

    /// <summary>The next datagram's length, or -1 when none came for a while (udp only; the others wait until cancelled).</summary>
    public abstract ValueTask<int> ReceiveAsync(byte[] buffer, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    /// <summary>The floor: a connected socket, blocking <c>Send</c> and <c>Receive</c> on the caller's thread.</summary>
    private sealed class Udp : DatagramEchoChannel
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 250 };

        public Udp(IPEndPoint server) => _socket.Connect(server);

        public override string Description => "raw UDP: server Socket.ReceiveFrom/SendTo on a dedicated thread; client a connected Socket, blocking Send/Receive";

        public override void Send(byte[] payload) => _socket.Send(payload);

        public override ValueTask<int> ReceiveAsync(byte[] buffer, CancellationToken cancellationToken)
        {
            try
            {
                return ValueTask.FromResult(_socket.Receive(buffer));
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return ValueTask.FromResult(-1);
            }
        }

        public override ValueTask DisposeAsync()
        {
            _socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A QUIC connection or WebTransport session: both send with TrySendDatagram and wait in ReceiveDatagramAsync.</summary>
    private sealed class Engine(string description, Func<byte[], bool> trySend, Func<Memory<byte>, CancellationToken, ValueTask<int>> receive, IAsyncDisposable owner) : DatagramEchoChannel
    {
        public override string Description => description;

        public override void Send(byte[] payload)
        {
            if (!trySend(payload))
            {
                throw new InvalidOperationException($"TrySendDatagram refused a {payload.Length}-byte datagram ({description}).");
            }
        }

        public override ValueTask<int> ReceiveAsync(byte[] buffer, CancellationToken cancellationToken) => receive(buffer, cancellationToken);

        public override ValueTask DisposeAsync() => owner.DisposeAsync();
    }
}
