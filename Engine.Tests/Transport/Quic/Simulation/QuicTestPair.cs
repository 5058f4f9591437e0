using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Tests.Hosting;
using Engine.Transport.Quic;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Quic.Simulation;

/// <summary>
/// A client and a server endpoint joined by a <see cref="SimulatedNetwork"/> (quinn's test
/// <c>Pair</c>): real TLS with a self-signed ECDSA P-256 certificate pinned by hash, real packet
/// protection, a virtual clock. Also plays the application: it reads every readable stream into
/// memory and keeps feeding queued writes as send buffers free up.
/// </summary>
internal sealed class QuicTestPair : IDisposable
{
    public static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.1"), 50000);
    public static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.2"), 443);

    private static readonly Lazy<X509Certificate2> SharedCertificate = new(() => CreateCertificate(TimeSpan.FromDays(10)));

    private readonly List<PendingWrite> _pendingWrites = [];
    private readonly byte[] _readBuffer = new byte[65536];

    public QuicTestPair(int seed, QuicTransportOptions? transport = null, QuicTransportOptions? serverTransport = null, int clientConnectionIdLength = 8)
    {
        Network = new SimulatedNetwork(seed);
        X509Certificate2 certificate = SharedCertificate.Value;
        ServerEndpoint = new QuicEndpoint(new QuicEndpointOptions
        {
            Server = new QuicServerOptions
            {
                Tls = new TlsServerOptions { Certificate = certificate, ApplicationProtocols = ["h3"] },
                Transport = serverTransport ?? transport ?? new QuicTransportOptions(),
            },
        },
        ServerLog);
        ClientEndpoint = new QuicEndpoint(new QuicEndpointOptions { ConnectionIdLength = clientConnectionIdLength });
        Network.Attach(ServerAddress, ServerEndpoint);
        Network.Attach(ClientAddress, ClientEndpoint);
        ClientOptions = new QuicClientOptions
        {
            Tls = new TlsClientOptions
            {
                ApplicationProtocols = ["h3"],
                ServerCertificateHashes = [SHA256.HashData(certificate.RawData)],
            },
            Transport = transport ?? new QuicTransportOptions(),
        };
        Network.AfterStep = PumpApplication;
    }

    public SimulatedNetwork Network { get; }

    /// <summary>What the server endpoint logged.</summary>
    public CollectingLogger<QuicEndpoint> ServerLog { get; } = new();

    public QuicEndpoint ServerEndpoint { get; }

    public QuicEndpoint ClientEndpoint { get; }

    public QuicClientOptions ClientOptions { get; set; }

    public QuicConnectionCore? Client { get; private set; }

    public QuicConnectionCore? Server { get; private set; }

    /// <summary>Every event each side reported, in order.</summary>
    public List<QuicConnectionEvent> ClientEvents { get; } = [];

    public List<QuicConnectionEvent> ServerEvents { get; } = [];

    /// <summary>Bytes read per stream, and which streams saw their FIN, on each side.</summary>
    public Dictionary<long, MemoryStream> ServerReceived { get; } = [];

    public Dictionary<long, MemoryStream> ClientReceived { get; } = [];

    public HashSet<long> ServerFinished { get; } = [];

    public HashSet<long> ClientFinished { get; } = [];

    public List<byte[]> ServerDatagrams { get; } = [];

    public List<byte[]> ClientDatagrams { get; } = [];

    public NetworkConditions ClientToServer
    {
        set => Network.ConditionsBySender[ClientAddress] = value;
    }

    public NetworkConditions ServerToClient
    {
        set => Network.ConditionsBySender[ServerAddress] = value;
    }

    public static X509Certificate2 CreateCertificate(TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        DateTimeOffset notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        return request.CreateSelfSigned(notBefore, notBefore + validity);
    }

    public QuicConnectionCore Connect()
    {
        Client = ClientEndpoint.Connect(ClientOptions, ServerAddress, Network.Now);
        return Client;
    }

    /// <summary>Connects and runs until both sides report the handshake complete.</summary>
    public bool ConnectAndHandshake(int maxSteps = 20_000)
    {
        Connect();
        return Network.RunUntil(() => Client!.IsHandshakeConfirmed && Server is { IsHandshakeComplete: true }, maxSteps);
    }

    /// <summary>Queues <paramref name="data"/> on a stream; the pump keeps writing as buffers free, then sends the FIN.</summary>
    public void QueueWrite(QuicConnectionCore connection, long streamId, byte[] data) =>
        _pendingWrites.Add(new PendingWrite(connection, streamId, data));

    public bool AllWritesAccepted => _pendingWrites.Count == 0;

    public void PumpApplication()
    {
        while (Server is null && ServerEndpoint.TryAccept(out QuicConnectionCore accepted))
        {
            Server = accepted;
        }

        if (Client is not null)
        {
            Drain(Client, ClientEvents, ClientReceived, ClientFinished, ClientDatagrams);
        }

        if (Server is not null)
        {
            Drain(Server, ServerEvents, ServerReceived, ServerFinished, ServerDatagrams);
        }

        for (int i = _pendingWrites.Count - 1; i >= 0; i--)
        {
            PendingWrite write = _pendingWrites[i];
            if (write.Connection.IsClosing || !write.Connection.IsHandshakeComplete)
            {
                continue;
            }

            int remaining = write.Data.Length - write.Offset;
            int accepted = write.Connection.WriteStream(write.StreamId, write.Data.AsSpan(write.Offset), fin: true);
            write.Offset += accepted;
            if (accepted == remaining)
            {
                _pendingWrites.RemoveAt(i);
            }
        }
    }

    public void Dispose()
    {
        ServerEndpoint.Dispose();
        ClientEndpoint.Dispose();
    }

    private void Drain(QuicConnectionCore connection, List<QuicConnectionEvent> events, Dictionary<long, MemoryStream> received, HashSet<long> finished, List<byte[]> datagrams)
    {
        while (connection.TryPollEvent(out QuicConnectionEvent connectionEvent))
        {
            events.Add(connectionEvent);
            if (connectionEvent.Kind is QuicConnectionEventKind.StreamReadable or QuicConnectionEventKind.StreamOpened && !connection.IsClosing)
            {
                ReadAll(connection, connectionEvent.StreamId, received, finished);
            }
        }

        while (connection.TryReceiveDatagram(_readBuffer, out int length))
        {
            datagrams.Add(_readBuffer.AsSpan(0, length).ToArray());
        }
    }

    private void ReadAll(QuicConnectionCore connection, long streamId, Dictionary<long, MemoryStream> received, HashSet<long> finished)
    {
        if (finished.Contains(streamId))
        {
            return;
        }

        if (!received.TryGetValue(streamId, out MemoryStream? sink))
        {
            sink = new MemoryStream();
            received[streamId] = sink;
        }

        while (true)
        {
            int read = connection.ReadStream(streamId, _readBuffer, out bool fin);
            sink.Write(_readBuffer, 0, read);
            if (fin)
            {
                finished.Add(streamId);
                return;
            }

            if (read == 0)
            {
                return;
            }
        }
    }

    private sealed class PendingWrite(QuicConnectionCore connection, long streamId, byte[] data)
    {
        public QuicConnectionCore Connection { get; } = connection;

        public long StreamId { get; } = streamId;

        public byte[] Data { get; } = data;

        public int Offset { get; set; }
    }
}
