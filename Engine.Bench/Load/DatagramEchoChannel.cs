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
        "quic" => new Quic(await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = new IPEndPoint(IPAddress.Parse(address.Host), address.Port),
            ApplicationProtocols = ["echo"],
            ServerCertificateHashes = [certificateHash!],
        })),
        _ => new WebTransport(await WebTransportClient.ConnectAsync(address, new WebTransportClientOptions { ServerCertificateHashes = [certificateHash!] })),
    };

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

    private sealed class Quic(QuicConnection connection) : DatagramEchoChannel
    {
        public override string Description =>
            $"Engine QUIC (Engine.Transport.Net public API): QuicListener / QuicConnection.ConnectAsync, ALPN \"{connection.NegotiatedApplicationProtocol}\", " +
            $"TrySendDatagram / ReceiveDatagramAsync (RFC 9221 datagrams, max {connection.MaxDatagramSendSize} B)";

        public override void Send(byte[] payload)
        {
            if (!connection.TrySendDatagram(payload))
            {
                throw new InvalidOperationException($"QuicConnection.TrySendDatagram refused a {payload.Length}-byte datagram (max {connection.MaxDatagramSendSize}).");
            }
        }

        public override ValueTask<int> ReceiveAsync(byte[] buffer, CancellationToken cancellationToken) => connection.ReceiveDatagramAsync(buffer, cancellationToken);

        public override ValueTask DisposeAsync() => connection.DisposeAsync();
    }

    private sealed class WebTransport(WebTransportSession session) : DatagramEchoChannel
    {
        public override string Description =>
            $"Engine WebTransport (draft-02 over HTTP/3): Http3Server + WebTransportServerOptions, WebTransportClient.ConnectAsync with the certificate's SHA-256, " +
            $"session TrySendDatagram / ReceiveDatagramAsync (max {session.MaxDatagramSize} B)";

        public override void Send(byte[] payload)
        {
            if (!session.TrySendDatagram(payload))
            {
                throw new InvalidOperationException($"WebTransportSession.TrySendDatagram refused a {payload.Length}-byte datagram (max {session.MaxDatagramSize}).");
            }
        }

        public override ValueTask<int> ReceiveAsync(byte[] buffer, CancellationToken cancellationToken) => session.ReceiveDatagramAsync(buffer, cancellationToken);

        public override ValueTask DisposeAsync() => session.DisposeAsync();
    }
}
