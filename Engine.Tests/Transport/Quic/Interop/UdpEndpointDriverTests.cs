using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Engine.Tests.Transport.Quic.Simulation;
using Engine.Transport.Io;
using Engine.Transport.Quic;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Quic.Interop;

/// <summary>
/// Engine client and server, each on a <see cref="UdpEndpointDriver"/>, over real loopback
/// sockets. Not run in parallel with other tests: one test counts the process's allocations.
/// </summary>
[Collection(nameof(UdpEndpointDriverTests))]
[CollectionDefinition(nameof(UdpEndpointDriverTests), DisableParallelization = true)]
public sealed class UdpEndpointDriverTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("127.0.0.1", true, true)]
    [InlineData("::1", true, true)]
    [InlineData("127.0.0.1", false, false)]
    [InlineData("::1", false, true)]
    public void Driver_EngineClientToEngineServer_MegabyteStreamAndDatagramsArrive(string address, bool segmentationOffload, bool nonBlockingReceive)
    {
        var certificate = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10));
        using var server = new UdpEndpointDriver(ServerEndpoint(certificate), new IPEndPoint(IPAddress.IPv6Any, 0), segmentationOffload, nonBlockingReceive);
        using var client = new UdpEndpointDriver(new QuicEndpoint(new QuicEndpointOptions()), new IPEndPoint(IPAddress.Parse(address), 0), segmentationOffload, nonBlockingReceive);
        var serverAddress = new IPEndPoint(IPAddress.Parse(address), server.LocalEndPoint.Port);
        QuicConnectionCore connection = client.Invoke((endpoint, now) => endpoint.Connect(ClientOptions(certificate), serverAddress, now));
        Assert.True(client.WaitUntil(_ => connection.IsHandshakeConfirmed, Timeout), $"handshake: {connection.CloseInfo}");

        byte[] payload = TransferSimulationTests.RandomBytes(7, 1 << 20);
        var receiver = new ServerSide();
        long streamId = client.Invoke((_, _) => connection.TryOpenStream(bidirectional: false, out long id) ? id : -1);
        int written = 0;
        bool done = false;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!done && clock.Elapsed < Timeout)
        {
            if (written < payload.Length)
            {
                // fin takes effect with the call that hands over the last byte
                written += client.Invoke((_, _) => connection.WriteStream(streamId, payload.AsSpan(written), fin: true));
            }

            done = server.Invoke((endpoint, _) => receiver.Drain(endpoint, streamId));
            Thread.Sleep(written < payload.Length ? 1 : 10);
        }

        Assert.True(done, $"received {receiver.Received.Length} of {payload.Length}; client {connection.CloseInfo}");
        Assert.Equal(payload, receiver.Received.ToArray());
        Assert.Equal(segmentationOffload && OperatingSystem.IsLinux(), client.UsesSegmentationOffload);
        Assert.Equal(nonBlockingReceive && OperatingSystem.IsLinux(), server.UsesNonBlockingReceive);
        Assert.True(client.UsesSegmentationOffload == client.BatchedSends > 0, $"{client.BatchedSends} batched sends");

        // Datagrams are never retransmitted and the kernel may drop any UDP datagram, so they are
        // offered one every 10 ms until 8 have arrived, rather than assuming 8 of 10 make it.
        int offered = 0;
        var datagramClock = System.Diagnostics.Stopwatch.StartNew();
        while (server.Invoke((endpoint, _) => receiver.DrainDatagrams(endpoint)) < 8 && datagramClock.Elapsed < Timeout)
        {
            byte number = (byte)offered++;
            client.Invoke((_, _) => connection.TrySendDatagram([number]));
            Thread.Sleep(10);
        }

        Assert.True(receiver.Datagrams >= 8, $"{receiver.Datagrams} datagrams arrived of {offered} offered");
        Assert.Equal(0, server.Endpoint.InternalErrors);
        Assert.Null(server.Failure);
        Assert.Null(client.Failure);
    }

    [Fact]
    public void Driver_GarbageAtTheListeningPortDuringATransfer_LiveConnectionUnaffected()
    {
        var certificate = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10));
        using var server = new UdpEndpointDriver(ServerEndpoint(certificate), new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new UdpEndpointDriver(new QuicEndpoint(new QuicEndpointOptions()), new IPEndPoint(IPAddress.Loopback, 0));
        QuicConnectionCore connection = client.Invoke((endpoint, now) => endpoint.Connect(ClientOptions(certificate), server.LocalEndPoint, now));
        Assert.True(client.WaitUntil(_ => connection.IsHandshakeConfirmed, Timeout));

        // Capture nothing: fling random, truncated and Initial-shaped garbage from another socket while a transfer runs.
        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var random = new Random(5);
        byte[] payload = TransferSimulationTests.RandomBytes(8, 512 * 1024);
        var receiver = new ServerSide();
        long streamId = client.Invoke((_, _) => connection.TryOpenStream(bidirectional: false, out long id) ? id : -1);
        int written = 0;
        bool done = false;
        int garbage = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((!done || garbage < 5000) && clock.Elapsed < Timeout)
        {
            for (int i = 0; i < 50; i++, garbage++)
            {
                byte[] junk = new byte[random.Next(1, 1400)];
                random.NextBytes(junk);
                if (i % 3 == 0)
                {
                    junk[0] = 0xc0; // long header, Initial
                }

                attacker.SendTo(junk, server.LocalEndPoint);
            }

            if (written < payload.Length)
            {
                // fin takes effect with the call that hands over the last byte
                written += client.Invoke((_, _) => connection.WriteStream(streamId, payload.AsSpan(written), fin: true));
            }

            done = done || server.Invoke((endpoint, _) => receiver.Drain(endpoint, streamId));
            Thread.Sleep(2);
        }

        Assert.True(done, $"received {receiver.Received.Length} of {payload.Length}");
        Assert.Equal(payload, receiver.Received.ToArray());
        Assert.True(garbage >= 5000);
        Assert.Null(connection.CloseInfo);
        Assert.Equal(1, server.Invoke((endpoint, _) => endpoint.ConnectionCount));
        Assert.Equal(0, server.Endpoint.InternalErrors);
        Assert.Null(server.Failure);
    }

    [Fact]
    public void Driver_SteadyStateTransfer_AllocatesNothingPerDatagram()
    {
        var certificate = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10));
        using var server = new UdpEndpointDriver(ServerEndpoint(certificate), new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new UdpEndpointDriver(new QuicEndpoint(new QuicEndpointOptions()), new IPEndPoint(IPAddress.Loopback, 0));
        QuicConnectionCore connection = client.Invoke((endpoint, now) => endpoint.Connect(ClientOptions(certificate), server.LocalEndPoint, now));
        Assert.True(client.WaitUntil(_ => connection.IsHandshakeConfirmed, Timeout));

        // The server application reads on the driver's own thread, without allocating.
        QuicConnectionCore? accepted = null;
        byte[] sink = new byte[65536];
        long received = 0;
        server.AfterIteration = (endpoint, _) =>
        {
            if (accepted is null && !endpoint.TryAccept(out accepted))
            {
                return;
            }

            while (accepted!.TryPollEvent(out QuicConnectionEvent e))
            {
                if (e.Kind is QuicConnectionEventKind.StreamReadable or QuicConnectionEventKind.StreamOpened)
                {
                    int read;
                    bool finished;
                    do
                    {
                        read = accepted.ReadStream(e.StreamId, sink, out finished);
                        Interlocked.Add(ref received, read);
                    }
                    while (read > 0 && !finished);
                }
            }
        };
        byte[] payload = new byte[16 << 20];
        long streamId = client.Invoke((_, _) => connection.TryOpenStream(bidirectional: false, out long id) ? id : -1);
        int written = 0;
        Func<QuicEndpoint, TimeSpan, int> write = (_, _) => connection.WriteStream(streamId, payload.AsSpan(written), fin: true);
        while (written < 2 << 20)
        {
            written += client.Invoke(write); // warm-up: buffers grow, pools fill, code is jitted
            Thread.Sleep(1);
        }

        Thread.Sleep(200);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long datagramsBefore = server.DatagramsReceived + client.DatagramsReceived;
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (written < payload.Length)
        {
            written += client.Invoke(write);
            Thread.Sleep(1);
        }

        while (Interlocked.Read(ref received) < payload.Length && elapsed.Elapsed < Timeout)
        {
            Thread.Sleep(5);
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long datagrams = server.DatagramsReceived + client.DatagramsReceived - datagramsBefore;

        Assert.Equal(payload.Length, Interlocked.Read(ref received));
        Assert.True(datagrams > 10_000, $"{datagrams} datagrams");

        // One object per datagram would be at least 24 B each; what remains is the test's own waiting.
        Assert.True(allocated < datagrams * 4, $"{allocated} B allocated over {datagrams} datagrams");
    }

    private static QuicEndpoint ServerEndpoint(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) => new(new QuicEndpointOptions
    {
        Server = new QuicServerOptions { Tls = new TlsServerOptions { Certificate = certificate, ApplicationProtocols = ["h3"] } },
    });

    private static QuicClientOptions ClientOptions(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) => new()
    {
        Tls = new TlsClientOptions { ApplicationProtocols = ["h3"], ServerCertificateHashes = [SHA256.HashData(certificate.RawData)] },
    };

    /// <summary>The server application: accepts the connection and reads one stream and the datagrams.</summary>
    private sealed class ServerSide
    {
        private readonly byte[] _buffer = new byte[65536];
        private QuicConnectionCore? _connection;
        private bool _finished;

        public MemoryStream Received { get; } = new();

        public int Datagrams { get; private set; }

        public bool Drain(QuicEndpoint endpoint, long streamId)
        {
            if (_connection is null && !endpoint.TryAccept(out _connection))
            {
                return false;
            }

            while (_connection!.TryPollEvent(out QuicConnectionEvent connectionEvent))
            {
                if (!_finished && connectionEvent.StreamId == streamId && connectionEvent.Kind is QuicConnectionEventKind.StreamOpened or QuicConnectionEventKind.StreamReadable)
                {
                    int read;
                    do
                    {
                        read = _connection.ReadStream(streamId, _buffer, out _finished);
                        Received.Write(_buffer, 0, read);
                    }
                    while (read > 0 && !_finished);
                }
            }

            return _finished;
        }

        public int DrainDatagrams(QuicEndpoint endpoint)
        {
            _ = endpoint;
            while (_connection is not null && _connection.TryReceiveDatagram(_buffer, out _))
            {
                Datagrams++;
            }

            return Datagrams;
        }
    }
}
