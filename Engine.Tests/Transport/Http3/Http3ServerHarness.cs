using System.Buffers;
using System.Text;
using Engine.Tests.Transport.Quic.Simulation;
using Engine.Transport.Http3;
using Engine.Transport.Http3.QPack;
using Engine.Transport.Quic;

namespace Engine.Tests.Transport.Http3;

/// <summary>
/// A real <see cref="Http3ServerConnection"/> over a <see cref="QuicTestPair"/> whose client side is
/// driven by hand: tests write raw HTTP/3 bytes on client streams and read what the server answered.
/// </summary>
internal sealed class Http3ServerHarness : IDisposable
{
    private readonly byte[] _readBuffer = new byte[65536];

    public Http3ServerHarness(IHttp3RequestHandler handler, Http3ServerOptions? options = null, int seed = 11)
    {
        Pair = new QuicTestPair(seed);
        Assert.True(Pair.ConnectAndHandshake());
        Http = new Http3ServerConnection(Pair.Server!, handler, options);
        Pair.Network.AfterStep = Pump;
        Run();
    }

    public Http3ServerHarness(Func<Http3ServerRequest, Http3Response> respond, Http3ServerOptions? options = null)
        : this(new CallbackHandler(r => r.Respond(respond(r))), options)
    {
    }

    public QuicTestPair Pair { get; }

    public QuicConnectionCore Client => Pair.Client!;

    public Http3ServerConnection Http { get; }

    public Dictionary<long, MemoryStream> Received { get; } = [];

    public HashSet<long> Finished { get; } = [];

    public List<QuicConnectionEvent> ClientEvents { get; } = [];

    /// <summary>The code the server closed the connection with, as the client saw it.</summary>
    public ulong? CloseCode => Client.CloseInfo?.ErrorCode;

    public static byte[] Headers(params (string Name, string Value)[] fields)
    {
        var section = new ArrayBufferWriter<byte>();
        QPackEncoder.WriteFieldSection(section, fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).ToList());
        return H3Assert.Frame((ulong)Http3FrameType.Headers, section.WrittenSpan.ToArray());
    }

    public static byte[] Get(string path = "/") => Headers((":method", "GET"), (":scheme", "https"), (":authority", "localhost"), (":path", path));

    public static byte[] Post(string path, params (string Name, string Value)[] extra) =>
        Headers([(":method", "POST"), (":scheme", "https"), (":authority", "localhost"), (":path", path), .. extra]);

    public static byte[] Data(byte[] payload) => H3Assert.Frame((ulong)Http3FrameType.Data, payload);

    public static byte[] Grease(int payloadLength) =>
        H3Assert.Concat(H3Assert.Varint(0x1f * 1_000_003UL + 0x21, 8), H3Assert.Varint((ulong)payloadLength), new byte[payloadLength]);

    /// <summary>Opens a client bidirectional stream and writes <paramref name="bytes"/>.</summary>
    public long Request(byte[] bytes, bool fin = true)
    {
        Assert.True(Client.TryOpenStream(bidirectional: true, out long id));
        Write(id, bytes, fin);
        return id;
    }

    public long OpenUni(byte[] bytes, bool fin = false)
    {
        Assert.True(Client.TryOpenStream(bidirectional: false, out long id));
        Write(id, bytes, fin);
        return id;
    }

    public void Write(long streamId, byte[] bytes, bool fin = false)
    {
        Assert.Equal(bytes.Length, Client.WriteStream(streamId, bytes, fin));
        Run();
    }

    public void Run(int milliseconds = 100) => Pair.Network.RunFor(TimeSpan.FromMilliseconds(milliseconds));

    /// <summary>The response on <paramref name="streamId"/>: status and DATA payloads (it must have ended).</summary>
    public (int Status, byte[] Body) Response(long streamId)
    {
        Assert.True(Finished.Contains(streamId), $"stream {streamId} has not ended; events: {string.Join(", ", ClientEvents)}");
        ReadOnlySpan<byte> bytes = Received[streamId].ToArray();
        int status = 0;
        var body = new MemoryStream();
        while (!bytes.IsEmpty)
        {
            Assert.Equal(Http3ReadStatus.Done, Http3FrameReader.TryReadFrameHeader(bytes, out ulong type, out ulong length, out int header));
            ReadOnlySpan<byte> payload = bytes.Slice(header, (int)length);
            if (type == (ulong)Http3FrameType.Headers)
            {
                var fields = new StatusReader();
                Assert.Equal(QPackStatus.Success, new QPackDecoder().Decode(payload, 64 * 1024, ref fields));
                status = fields.Status;
            }
            else if (type == (ulong)Http3FrameType.Data)
            {
                body.Write(payload);
            }

            bytes = bytes[(header + (int)length)..];
        }

        return (status, body.ToArray());
    }

    /// <summary>The error code of the server's RESET_STREAM on <paramref name="streamId"/>, if any.</summary>
    public ulong? ResetCode(long streamId) =>
        ClientEvents.FirstOrDefault(e => e.Kind == QuicConnectionEventKind.StreamPeerReset && e.StreamId == streamId) is { Kind: QuicConnectionEventKind.StreamPeerReset } e ? e.ErrorCode : null;

    /// <summary>The error code of the server's STOP_SENDING on <paramref name="streamId"/>, if any.</summary>
    public ulong? StopSendingCode(long streamId) =>
        ClientEvents.FirstOrDefault(e => e.Kind == QuicConnectionEventKind.StreamPeerStopSending && e.StreamId == streamId) is { Kind: QuicConnectionEventKind.StreamPeerStopSending } e ? e.ErrorCode : null;

    public void Dispose() => Pair.Dispose();

    private void Pump()
    {
        Http.Process(Pair.Network.Now);
        while (Client.TryPollEvent(out QuicConnectionEvent e))
        {
            ClientEvents.Add(e);
            if (e.Kind is QuicConnectionEventKind.StreamOpened or QuicConnectionEventKind.StreamReadable && !Client.IsClosing && !Finished.Contains(e.StreamId))
            {
                MemoryStream sink = Received.TryGetValue(e.StreamId, out MemoryStream? known) ? known : Received[e.StreamId] = new MemoryStream();
                while (true)
                {
                    int read = Client.ReadStream(e.StreamId, _readBuffer, out bool finished);
                    sink.Write(_readBuffer, 0, read);
                    if (finished)
                    {
                        Finished.Add(e.StreamId);
                        break;
                    }

                    if (read == 0)
                    {
                        break;
                    }
                }
            }
        }
    }

    internal sealed class CallbackHandler(Action<Http3ServerRequest> onRequest) : IHttp3RequestHandler
    {
        public List<Http3ServerRequest> Requests { get; } = [];

        public void OnRequest(Http3ServerRequest request)
        {
            Requests.Add(request);
            onRequest(request);
        }
    }

    private struct StatusReader : IQPackHeaderHandler
    {
        public int Status { get; private set; }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (name.SequenceEqual(":status"u8))
            {
                Status = int.Parse(Encoding.ASCII.GetString(value), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }
}
