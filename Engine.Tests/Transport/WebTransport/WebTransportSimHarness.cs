using Engine.Tests.Transport.Quic.Simulation;
using Engine.Transport.Http3;
using Engine.Transport.Quic;
using Engine.Transport.WebTransport.Protocol;

namespace Engine.Tests.Transport.WebTransport;

/// <summary>
/// WebTransport's sans-IO layers on both ends of a simulated network (virtual clock, chosen loss):
/// the server's <see cref="Http3ServerConnection"/> with a <see cref="WebTransportServerExtension"/>,
/// the client's <see cref="WebTransportClientProtocol"/>. Both sides' sessions record what
/// reached them; tests may also write raw bytes on the client's QUIC connection.
/// </summary>
internal sealed class WebTransportSimHarness : IDisposable, IWebTransportServerHandler
{
    public WebTransportSimHarness(int seed = 5, NetworkConditions? conditions = null, WebTransportLimits? limits = null, Func<Http3ServerRequest, Http3Response?>? authorize = null, QuicTransportOptions? clientTransport = null)
    {
        Pair = new QuicTestPair(seed, transport: clientTransport, serverTransport: new QuicTransportOptions());
        Assert.True(Pair.ConnectAndHandshake());
        Limits = limits ?? new WebTransportLimits();
        Authorizer = authorize;
        Server = new Http3ServerConnection(Pair.Server!, new NotFound());
        Extension = new WebTransportServerExtension(Pair.Server!, this, "/wt", Limits);
        Server.Extension = Extension;
        Client = new WebTransportClientProtocol(Pair.Client!, "localhost", "/wt", [new("origin", "https://game.example")], new WebTransportLimits())
        {
            EventObserved = e => ClientEventsSeen.Add(e),
        };
        Client.Established = session => ClientSession = new RecordingSink(session);
        Pair.Network.AfterStep = Pump;
        if (conditions is not null)
        {
            Pair.ClientToServer = conditions;
            Pair.ServerToClient = conditions;
        }
    }

    public QuicTestPair Pair { get; }

    public WebTransportLimits Limits { get; }

    public Func<Http3ServerRequest, Http3Response?>? Authorizer { get; }

    public Http3ServerConnection Server { get; }

    public WebTransportServerExtension Extension { get; }

    public WebTransportClientProtocol Client { get; }

    public RecordingSink? ClientSession { get; private set; }

    /// <summary>Every event of the client's QUIC connection, as polled (raw streams' resets and stops show here).</summary>
    public List<QuicConnectionEvent> ClientEventsSeen { get; } = [];

    public List<RecordingSink> ServerSessions { get; } = [];

    public TimeSpan Now => Pair.Network.Now;

    public bool RunUntil(Func<bool> done, int maxSteps = 400_000) => Pair.Network.RunUntil(done, maxSteps);

    public void RunFor(TimeSpan duration) => Pair.Network.RunFor(duration);

    /// <summary>Runs until the client's session is established (or fails).</summary>
    public RecordingSink Establish()
    {
        Assert.True(RunUntil(() => ClientSession is not null || Client.Failure is not null), "no session and no failure");
        Assert.Null(Client.Failure);
        Assert.True(RunUntil(() => ServerSessions.Count > 0));
        return ClientSession!;
    }

    public Http3Response? Authorize(Http3ServerRequest request) => Authorizer?.Invoke(request);

    public void OnRefused(Http3ServerRequest request, int status)
    {
    }

    public void OnSessionEstablished(WebTransportSessionCore session, Http3ServerRequest request) => ServerSessions.Add(new RecordingSink(session));

    public void Dispose() => Pair.Dispose();

    private void Pump()
    {
        Server.Process(Now);
        Client.Process(Now);
        foreach (RecordingSink sink in ServerSessions)
        {
            sink.ReadAll();
        }

        ClientSession?.ReadAll();
    }

    private sealed class NotFound : IHttp3RequestHandler
    {
        public void OnRequest(Http3ServerRequest request) => request.Respond(new Http3Response(404, [], ReadOnlyMemory<byte>.Empty));
    }
}

/// <summary>One session's events as they reached its side; reads every stream it is told about to the end.</summary>
internal sealed class RecordingSink : IWebTransportSessionSink
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly HashSet<long> _readable = [];

    public RecordingSink(WebTransportSessionCore session)
    {
        Session = session;
        session.Sink = this;
    }

    public WebTransportSessionCore Session { get; }

    public Dictionary<long, MemoryStream> Received { get; } = [];

    public HashSet<long> Finished { get; } = [];

    public List<long> Incoming { get; } = [];

    public List<byte[]> Datagrams { get; } = [];

    public List<QuicConnectionEvent> Events { get; } = [];

    public bool Draining { get; private set; }

    public WebTransportCloseRecord? Closed { get; private set; }

    public void OnIncomingStream(long streamId, bool bidirectional, ReadOnlySpan<byte> prefetched, bool finished)
    {
        Incoming.Add(streamId);
        Stream(streamId).Write(prefetched);
        if (finished)
        {
            Finished.Add(streamId);
        }

        _readable.Add(streamId);
    }

    public void OnStreamEvent(in QuicConnectionEvent e)
    {
        Events.Add(e);
        if (e.Kind == QuicConnectionEventKind.StreamReadable)
        {
            _readable.Add(e.StreamId);
        }
    }

    public void OnDatagram(ReadOnlySpan<byte> payload) => Datagrams.Add(payload.ToArray());

    public void OnStreamsAvailable()
    {
    }

    public void OnDraining() => Draining = true;

    public void OnClosed(WebTransportCloseRecord close) => Closed = close;

    /// <summary>Reads every stream that said it is readable (the application's part).</summary>
    public void ReadAll()
    {
        foreach (long id in _readable.ToArray())
        {
            _readable.Remove(id);
            while (!Finished.Contains(id) && Session.Quic.IsStreamOpen(id) && !Session.IsClosed)
            {
                int read = Session.Quic.ReadStream(id, _buffer, out bool finished);
                Stream(id).Write(_buffer, 0, read);
                if (finished)
                {
                    Finished.Add(id);
                }

                if (read == 0)
                {
                    break;
                }
            }
        }
    }

    public ulong? ResetCode(long streamId) =>
        Events.FirstOrDefault(e => e.Kind == QuicConnectionEventKind.StreamPeerReset && e.StreamId == streamId) is { Kind: QuicConnectionEventKind.StreamPeerReset } e ? e.ErrorCode : null;

    private MemoryStream Stream(long id) => Received.TryGetValue(id, out MemoryStream? s) ? s : Received[id] = new MemoryStream();
}
