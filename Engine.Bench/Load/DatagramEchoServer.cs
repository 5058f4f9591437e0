using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Hosting;
using Engine.Transport.Http3;
using Engine.Transport.Io;
using Engine.Transport.Net;
using Engine.Transport.WebTransport;

namespace Engine.Bench.Load;

/// <summary>
/// <c>Engine.Bench datagram-echo-serve --stack udp|quic|wt</c>: the echo server of
/// <see cref="DatagramEcho"/>, run as its own process so its CPU time is measured alone. Binds a
/// free loopback port, prints <c>listening ADDRESS [CERTIFICATE-SHA256-HEX]</c>, sends every
/// datagram it receives back to its sender, and stops when its standard input closes.
/// </summary>
internal static class DatagramEchoServer
{
    public static async Task<int> RunAsync(string[] args)
    {
        string stack = DatagramEchoArguments.Parse(args).Stack;
        using X509Certificate2 certificate = DevelopmentCertificate.Create(DateTimeOffset.UtcNow);
        string hash = Convert.ToHexString(SHA256.HashData(certificate.RawData));
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        switch (stack)
        {
            case "udp":
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    socket.Bind(loopback);
                    var thread = new Thread(() => EchoUdp(socket)) { IsBackground = true, Name = "udp echo" };
                    thread.Start();
                    Console.WriteLine($"listening udp://127.0.0.1:{((IPEndPoint)socket.LocalEndPoint!).Port}");
                    await Console.In.ReadToEndAsync(); // the parent closes our stdin to stop us
                    return 0;
                }

            case "quic":
                {
                    await using QuicListener listener = await QuicListener.ListenAsync(new QuicListenerOptions
                    {
                        ListenEndPoint = loopback,
                        ApplicationProtocols = ["echo"],
                        ServerCertificate = certificate,
                    });
                    _ = Task.Run(async () =>
                    {
                        while (true)
                        {
                            QuicConnection connection = await listener.AcceptConnectionAsync();
                            _ = Task.Run(() => EchoQuicAsync(connection));
                        }
                    });
                    Console.WriteLine($"listening quic://127.0.0.1:{listener.LocalEndPoint.Port} {hash}");
                    await Console.In.ReadToEndAsync();
                    return 0;
                }

            default:
                {
                    // wt-driver echoes on the QUIC driver's thread (DatagramReceived), the host's path for inputs: no thread hop.
                    var webTransport = new WebTransportServerOptions
                    {
                        SessionEstablished = stack == "wt-driver"
                            ? session => session.DatagramReceived = datagram => session.TrySendDatagram(datagram)
                            : session => _ = Task.Run(() => EchoWebTransportAsync(session)),
                    };
                    var notFound = new Http3WholeResponseHandler(_ => new Http3Response(404, [], "not found"u8.ToArray()));
                    using var server = new Http3Server(loopback, certificate, notFound, webTransport: webTransport);
                    Console.WriteLine($"listening https://127.0.0.1:{server.LocalEndPoint.Port}{webTransport.Path} {hash}");
                    await Console.In.ReadToEndAsync();
                    return 0;
                }
        }
    }

    /// <summary>The raw floor: one blocking receive, one send, on a dedicated thread, until the socket closes.</summary>
    private static void EchoUdp(Socket socket)
    {
        byte[] buffer = new byte[65536];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        try
        {
            while (true)
            {
                int length = socket.ReceiveFrom(buffer, SocketFlags.None, from);
                socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, from);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // closed at exit
        }
    }

    private static Task EchoQuicAsync(QuicConnection connection) =>
        EchoAsync(connection, connection.ReceiveDatagramAsync, (buffer, length) => connection.TrySendDatagram(buffer.AsMemory(0, length)));

    private static Task EchoWebTransportAsync(WebTransportSession session) =>
        EchoAsync(session, session.ReceiveDatagramAsync, (buffer, length) => session.TrySendDatagram(buffer.AsSpan(0, length)));

    /// <summary>Sends back every datagram <paramref name="receive"/> returns until the connection or session ends, then disposes it.</summary>
    private static async Task EchoAsync(IAsyncDisposable owner, Func<Memory<byte>, CancellationToken, ValueTask<int>> receive, Func<byte[], int, bool> send)
    {
        await using (owner)
        {
            byte[] buffer = new byte[65536];
            try
            {
                while (true)
                {
                    int length = await receive(buffer, CancellationToken.None);
                    send(buffer, length);
                }
            }
            catch (QuicException)
            {
                // the client went away
            }
        }
    }
}
