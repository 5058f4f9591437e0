using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Quic;
using Engine.Transport.Tls;

namespace Engine.Bench.Micro;

/// <summary>
/// A client and a server <see cref="QuicEndpoint"/> joined by a lossless in-memory link with a
/// fixed one-way delay and a virtual clock (a cut-down Engine.Tests <c>SimulatedNetwork</c>):
/// each step sends everything both endpoints have, lets the application run, advances the clock
/// to the next delivery or timer and delivers or fires it. With one fixed delay each direction is
/// a FIFO, so datagrams in flight live in a ring of reused 1500-byte buffers and
/// <see cref="QuicEndpoint.PollTransmit"/> writes straight into them: the pump itself allocates
/// nothing once the rings have grown to the flight size.
/// </summary>
internal sealed class InMemoryQuicPair : IDisposable
{
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.1"), 50000);
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.2"), 443);

    private readonly QuicClientOptions _clientOptions;
    private readonly Link _toServer = new();
    private readonly Link _toClient = new();
    private readonly TimeSpan _oneWayDelay;

    internal InMemoryQuicPair(X509Certificate2 certificate, TimeSpan oneWayDelay, QuicTransportOptions? transport = null)
    {
        _oneWayDelay = oneWayDelay;
        transport ??= new QuicTransportOptions();
        ServerEndpoint = new QuicEndpoint(new QuicEndpointOptions
        {
            Server = new QuicServerOptions
            {
                Tls = new TlsServerOptions { Certificate = certificate, ApplicationProtocols = ["h3"] },
                Transport = transport,
            },
        });
        ClientEndpoint = new QuicEndpoint(new QuicEndpointOptions());
        _clientOptions = new QuicClientOptions
        {
            Tls = new TlsClientOptions
            {
                ApplicationProtocols = ["h3"],
                ServerCertificateHashes = [SHA256.HashData(certificate.RawData)],
            },
            Transport = transport,
        };
    }

    internal QuicEndpoint ServerEndpoint { get; }

    internal QuicEndpoint ClientEndpoint { get; }

    internal QuicConnectionCore? Client { get; private set; }

    internal QuicConnectionCore? Server { get; private set; }

    /// <summary>Virtual time; starts at 1 s.</summary>
    public TimeSpan Now { get; private set; } = TimeSpan.FromSeconds(1);

    public long DatagramsSent { get; private set; }

    /// <summary>Called after every step (the application's turn: read, write, poll events).</summary>
    public Action? AfterStep { get; set; }

    /// <summary>The self-signed ECDSA P-256 certificate the benchmarks use (10-day validity).</summary>
    public static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        DateTimeOffset notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        return request.CreateSelfSigned(notBefore, notBefore + TimeSpan.FromDays(10));
    }

    /// <summary>Starts a client connection; the server side appears in <see cref="Server"/> once accepted.</summary>
    internal QuicConnectionCore Connect()
    {
        Client = ClientEndpoint.Connect(_clientOptions, ServerAddress, Now);
        return Client;
    }

    /// <summary>True once the client's handshake is confirmed and the server's complete.</summary>
    public bool HandshakeDone => Client is { IsHandshakeConfirmed: true } && Server is { IsHandshakeComplete: true };

    /// <summary>Connects and runs until <see cref="HandshakeDone"/>; throws if it does not get there.</summary>
    public void ConnectAndHandshake(Func<bool>? done = null, int maxSteps = 10_000)
    {
        Connect();
        if (!RunUntil(done ?? (() => HandshakeDone), maxSteps))
        {
            throw new InvalidOperationException("The in-memory handshake did not complete.");
        }
    }

    /// <summary>Runs until <paramref name="done"/> holds; false if the step bound was hit or nothing was left to happen.</summary>
    public bool RunUntil(Func<bool> done, int maxSteps)
    {
        for (int step = 0; step < maxSteps; step++)
        {
            Flush();
            while (Server is null && ServerEndpoint.TryAccept(out QuicConnectionCore accepted))
            {
                Server = accepted;
            }

            AfterStep?.Invoke();
            if (done())
            {
                return true;
            }

            Flush();
            TimeSpan? next = Earliest(Earliest(_toServer.NextDelivery, _toClient.NextDelivery), Earliest(ServerEndpoint.PollTimeout(), ClientEndpoint.PollTimeout()));
            if (next is null)
            {
                return done();
            }

            if (next.Value > Now)
            {
                Now = next.Value;
            }

            _toServer.DeliverDue(ServerEndpoint, ClientAddress, Now);
            _toClient.DeliverDue(ClientEndpoint, ServerAddress, Now);
            if (ServerEndpoint.PollTimeout() is { } serverTimeout && serverTimeout <= Now)
            {
                ServerEndpoint.HandleTimeout(Now);
            }

            if (ClientEndpoint.PollTimeout() is { } clientTimeout && clientTimeout <= Now)
            {
                ClientEndpoint.HandleTimeout(Now);
            }
        }

        return done();
    }

    public void Dispose()
    {
        ServerEndpoint.Dispose();
        ClientEndpoint.Dispose();
    }

    private static TimeSpan? Earliest(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private void Flush()
    {
        DatagramsSent += _toServer.SendAll(ClientEndpoint, Now, Now + _oneWayDelay);
        DatagramsSent += _toClient.SendAll(ServerEndpoint, Now, Now + _oneWayDelay);
    }

    /// <summary>One direction: a growable ring of reused datagram buffers, in delivery order.</summary>
    private sealed class Link
    {
        private const int BufferSize = 1500;

        private const int InitialSlots = 16;

        // Slot buffers are allocated on first use: a handshake touches a few, a bulk transfer grows
        // the ring to its largest flight during warm-up and then reuses it.
        private byte[]?[] _buffers = new byte[InitialSlots][];
        private int[] _lengths = new int[InitialSlots];
        private TimeSpan[] _deliverAt = new TimeSpan[InitialSlots];
        private int _head;
        private int _count;

        public TimeSpan? NextDelivery => _count == 0 ? null : _deliverAt[_head];

        public int SendAll(QuicEndpoint from, TimeSpan now, TimeSpan deliverAt)
        {
            int sent = 0;
            while (true)
            {
                if (_count == _buffers.Length)
                {
                    Grow();
                }

                int slot = (_head + _count) % _buffers.Length;
                byte[] buffer = _buffers[slot] ??= new byte[BufferSize];
                int length = from.PollTransmit(now, buffer, out IPEndPoint? destination);
                if (length == 0 || destination is null)
                {
                    return sent;
                }

                _lengths[slot] = length;
                _deliverAt[slot] = deliverAt;
                _count++;
                sent++;
            }
        }

        public void DeliverDue(QuicEndpoint to, IPEndPoint from, TimeSpan now)
        {
            while (_count > 0 && _deliverAt[_head] <= now)
            {
                int slot = _head;
                _head = (_head + 1) % _buffers.Length;
                _count--;
                to.HandleDatagram(from, _buffers[slot]!.AsSpan(0, _lengths[slot]), now);
            }
        }

        private void Grow()
        {
            int size = _buffers.Length;
            byte[]?[] buffers = new byte[size * 2][];
            int[] lengths = new int[size * 2];
            TimeSpan[] deliverAt = new TimeSpan[size * 2];
            for (int i = 0; i < _count; i++)
            {
                int slot = (_head + i) % size;
                buffers[i] = _buffers[slot];
                lengths[i] = _lengths[slot];
                deliverAt[i] = _deliverAt[slot];
            }

            _buffers = buffers;
            _lengths = lengths;
            _deliverAt = deliverAt;
            _head = 0;
        }
    }
}
