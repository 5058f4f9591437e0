using System.Text;
using Engine.Transport.Http3;
using Engine.Transport.Quic;
using static Engine.Tests.Transport.Http3.Http3ServerHarness;

namespace Engine.Tests.Transport.Http3;

/// <summary>The HTTP/3 server connection against a hand-driven client over the simulated network.</summary>
public sealed partial class Http3ServerConnectionTests
{
    private const ulong FrameUnexpected = 0x105;
    private const ulong FrameError = 0x106;
    private const ulong StreamCreationError = 0x103;
    private const ulong ClosedCriticalStream = 0x104;
    private const ulong RequestRejected = 0x10b;
    private const ulong RequestIncomplete = 0x10d;
    private const ulong MessageError = 0x10e;
    private const ulong InternalError = 0x102;
    private const ulong MissingSettings = 0x10a;

    private static Http3Response Text(string body, int status = 200) => new(status, [new("content-type", "text/plain")], Encoding.UTF8.GetBytes(body));

    private static Http3Response Echo(Http3ServerRequest request) => new(200, [], request.Body.ToArray());

    [Fact]
    public void Process_Get_WholeResponseArrives()
    {
        byte[] big = new byte[1024 * 1024];
        new Random(1).NextBytes(big);
        using var h = new Http3ServerHarness(r => r.Path == "/big" ? new Http3Response(200, [], big) : Text("hello " + r.Path));

        long small = h.Request(Get("/x"));
        long large = h.Request(Get("/big"));
        h.Run(3000);

        Assert.Equal((200, "hello /x"), (h.Response(small).Status, Encoding.UTF8.GetString(h.Response(small).Body)));
        Assert.Equal(big, h.Response(large).Body);
        Assert.Equal(2, h.Http.RequestsServed);
        Assert.Equal(0, h.Http.ActiveRequests);
    }

    [Fact]
    public void Process_GreaseFramesBeforeAndBetweenHeadersAndData_Skipped()
    {
        using var h = new Http3ServerHarness(Echo);

        long id = h.Request(H3Assert.Concat(Grease(10), H3Assert.Frame(0x21, [1, 2, 3]), Post("/echo"), Grease(300), Data("ab"u8.ToArray()), Grease(0), Data("cd"u8.ToArray())));
        h.Run();

        Assert.Equal((200, "abcd"), (h.Response(id).Status, Encoding.UTF8.GetString(h.Response(id).Body)));
    }

    [Fact]
    public void Process_BodyOverSeveralFramesAndWrites_HandlerSeesWholeBody()
    {
        using var h = new Http3ServerHarness(Echo);
        byte[] body = new byte[100_000];
        new Random(2).NextBytes(body);

        Assert.True(h.Client.TryOpenStream(bidirectional: true, out long id));
        h.Write(id, Post("/echo", ("content-length", "100000")));
        for (int offset = 0; offset < body.Length; offset += 30_000)
        {
            byte[] frame = Data(body[offset..Math.Min(body.Length, offset + 30_000)]);
            h.Write(id, frame[..5]); // a frame header split across writes
            h.Write(id, frame[5..], fin: offset + 30_000 >= body.Length);
        }

        h.Run(1000);

        Assert.Equal(body, h.Response(id).Body);
    }

    [Fact]
    public void Process_BodyOverLimit_413ThenConnectionServesAgain()
    {
        using var h = new Http3ServerHarness(r => Text("ok"), new Http3ServerOptions { MaxRequestBodyBytes = 1024 });

        long streamed = h.Request(H3Assert.Concat(Post("/up"), Data(new byte[4096])));
        long declared = h.Request(Post("/up", ("content-length", "5000")), fin: false);
        long next = h.Request(Get("/after"));
        h.Run(500);

        Assert.Equal(413, h.Response(streamed).Status);
        Assert.Equal(413, h.Response(declared).Status);
        Assert.Equal(0x100UL, h.StopSendingCode(declared)); // the rest of the request is refused with H3_NO_ERROR
        Assert.Equal(200, h.Response(next).Status);
        Assert.Null(h.CloseCode);
    }

    [Theory]
    [InlineData("more")]
    [InlineData("less")]
    public void Process_ContentLengthMismatch_StreamResetWithMessageError(string which)
    {
        using var h = new Http3ServerHarness(r => Text("ok"));

        long id = h.Request(H3Assert.Concat(Post("/", ("content-length", "4")), Data(which == "more" ? new byte[6] : new byte[2])));
        long next = h.Request(Get());

        Assert.Equal(MessageError, h.ResetCode(id));
        Assert.Equal(200, h.Response(next).Status);
        Assert.Null(h.CloseCode);
    }

    public static TheoryData<string, string[]> MalformedHeads => new()
    {
        { "uppercase name", [":method", "GET", ":scheme", "https", ":path", "/", "X-Upper", "1"] },
        { "duplicate :path", [":method", "GET", ":scheme", "https", ":path", "/", ":path", "/again"] },
        { "pseudo after regular", [":method", "GET", ":scheme", "https", "accept", "*/*", ":path", "/"] },
        { "missing :scheme", [":method", "GET", ":path", "/"] },
        { "connection header", [":method", "GET", ":scheme", "https", ":path", "/", "connection", "close"] },
        { "unknown pseudo", [":method", "GET", ":scheme", "https", ":path", "/", ":foo", "bar"] },
        { "te not trailers", [":method", "GET", ":scheme", "https", ":path", "/", "te", "gzip"] },
    };

    [Theory]
    [MemberData(nameof(MalformedHeads))]
    public void Process_MalformedHead_StreamResetWithMessageErrorAndConnectionServes(string why, string[] fields)
    {
        using var h = new Http3ServerHarness(r => Text("ok"));
        (string, string)[] pairs = [.. fields.Chunk(2).Select(f => (f[0], f[1]))];

        long id = h.Request(Headers(pairs));
        long next = h.Request(Get());

        Assert.True(MessageError == h.ResetCode(id), why);
        Assert.Equal(200, h.Response(next).Status);
        Assert.Equal(1, h.Http.RequestsServed);
    }

    [Theory]
    [InlineData("data first")]
    [InlineData("settings")]
    [InlineData("http2 priority")]
    [InlineData("goaway")]
    [InlineData("max push id")]
    [InlineData("cancel push")]
    [InlineData("push promise")]
    public void Process_FrameNotAllowedOnRequestStream_ClosesWithFrameUnexpected(string which)
    {
        using var h = new Http3ServerHarness(r => Text("ok"));
        byte[] bytes = which switch
        {
            "data first" => Data([1]),
            "settings" => H3Assert.Concat(Get(), H3Assert.Frame(0x4)),
            "goaway" => H3Assert.Concat(Get(), H3Assert.Frame(0x7, [0])),
            "max push id" => H3Assert.Concat(Grease(1), H3Assert.Frame(0xd, [0])),
            "cancel push" => H3Assert.Concat(Post("/"), H3Assert.Frame(0x3, [0])),
            "push promise" => H3Assert.Concat(Post("/"), H3Assert.Frame(0x5, [0, 0, 0])),
            _ => H3Assert.Concat(Get(), H3Assert.Frame(0x2, [0])),
        };

        h.Request(bytes);

        Assert.Equal(FrameUnexpected, h.CloseCode);
        Assert.Null(h.Http.InternalError);
    }

    [Fact]
    public void Process_ValidHeadersAfterRejectedOnes_NeverTakenForANewRequest()
    {
        int calls = 0;
        using var h = new Http3ServerHarness(r =>
        {
            calls++;
            return Text("ok");
        });
        Assert.True(h.Client.TryOpenStream(bidirectional: true, out long id));

        // Both writes leave before the server's reaction can arrive.
        Assert.True(h.Client.WriteStream(id, Headers((":method", "GET"), (":path", "/")), fin: false) > 0);
        Assert.True(h.Client.WriteStream(id, Get(), fin: true) > 0);
        h.Run(500);

        Assert.Equal(0, calls);
        Assert.Equal(MessageError, h.ResetCode(id));
        Assert.Null(h.CloseCode);
        Assert.Null(h.Http.InternalError);
    }

    [Fact]
    public void Process_StreamEndsBeforeHeaders_ResetWithRequestIncomplete()
    {
        using var h = new Http3ServerHarness(r => Text("ok"));

        long empty = h.Request([]);
        long greaseOnly = h.Request(Grease(4));

        Assert.Equal(RequestIncomplete, h.ResetCode(empty));
        Assert.Equal(RequestIncomplete, h.ResetCode(greaseOnly));
        Assert.Null(h.CloseCode);
    }

    [Fact]
    public void Process_StreamEndsInsideHeadersFrame_ClosesWithFrameError()
    {
        using var h = new Http3ServerHarness(r => Text("ok"));

        h.Request(Get()[..4]);

        Assert.Equal(FrameError, h.CloseCode);
    }

    [Fact]
    public void Process_StreamEndsInsideDataFrame_ClosesWithFrameError()
    {
        using var h = new Http3ServerHarness(r => Text("ok"));

        h.Request(H3Assert.Concat(Post("/"), Data(new byte[10])[..6]));

        Assert.Equal(FrameError, h.CloseCode);
    }

    [Fact]
    public void Process_FieldSectionOverLimit_Gets431()
    {
        using var h = new Http3ServerHarness(r => Text("ok"), new Http3ServerOptions { MaxFieldSectionSize = 1024 });

        long id = h.Request(Headers((":method", "GET"), (":scheme", "https"), (":path", "/"), ("x-big", new string('a', 2000))));

        Assert.Equal(431, h.Response(id).Status);
        Assert.Equal(0, h.Http.RequestsServed);
    }

    [Theory]
    [InlineData("second control", StreamCreationError)]
    [InlineData("control fin", ClosedCriticalStream)]
    [InlineData("encoder fin", ClosedCriticalStream)]
    [InlineData("push", StreamCreationError)]
    [InlineData("control reset", ClosedCriticalStream)]
    [InlineData("decoder fin", ClosedCriticalStream)]
    [InlineData("second encoder", StreamCreationError)]
    [InlineData("control without settings", MissingSettings)]
    public void Process_CriticalStreamRuleBroken_ClosesConnection(string which, ulong code)
    {
        using var h = new Http3ServerHarness(r => Text("ok"));
        byte[] control = [(byte)Http3StreamType.Control, .. Http3Settings.BuildServerSettingsFrame(1024)];

        switch (which)
        {
            case "second control":
                h.OpenUni(control);
                h.OpenUni(control);
                break;
            case "control fin":
                h.OpenUni(control, fin: true);
                break;
            case "encoder fin":
                h.OpenUni([(byte)Http3StreamType.QPackEncoder], fin: true);
                break;
            case "control reset":
                h.Client.ResetStream(h.OpenUni(control), 0x10c);
                h.Run();
                break;
            case "decoder fin":
                h.OpenUni([(byte)Http3StreamType.QPackDecoder], fin: true);
                break;
            case "second encoder":
                h.OpenUni([(byte)Http3StreamType.QPackEncoder]);
                h.OpenUni([(byte)Http3StreamType.QPackEncoder]);
                break;
            case "control without settings":
                h.OpenUni([(byte)Http3StreamType.Control, .. H3Assert.Frame((ulong)Http3FrameType.GoAway, [0])]);
                break;
            default:
                h.OpenUni([(byte)Http3StreamType.Push, 0]);
                break;
        }

        Assert.Equal(code, h.CloseCode);
    }

    [Fact]
    public void Process_SplitStreamTypes_ControlRecognizedAndGreaseStopped()
    {
        using var h = new Http3ServerHarness(r => Text("ok"));
        byte[] greaseType = H3Assert.Varint(0x1f * 7UL + 0x21, 8);

        long control = h.OpenUni([0x40]);
        h.Write(control, [0x00, .. Http3Settings.BuildServerSettingsFrame(1024)]);
        long grease = h.OpenUni(greaseType[..3]);
        h.Write(grease, [.. greaseType[3..], 1, 2, 3]);

        Assert.NotNull(h.Http.PeerSettings);
        Assert.Equal(StreamCreationError, h.StopSendingCode(grease));
        Assert.Null(h.CloseCode);
    }

    [Fact]
    public void Process_ClientCancelsPendingRequest_AbortedFiresAndRequestForgotten()
    {
        bool aborted = false;
        var handler = new CallbackHandler(r => r.Aborted = _ => aborted = true); // never answers
        using var h = new Http3ServerHarness(handler);

        long id = h.Request(Get());
        Assert.Equal(1, h.Http.ActiveRequests);
        h.Client.ResetStream(id, 0x10c);
        h.Client.StopSending(id, 0x10c);
        h.Run();

        Assert.True(aborted);
        Assert.Equal(0, h.Http.ActiveRequests);
        Assert.Null(h.CloseCode);
    }

    [Fact]
    public void Process_ClientResetsUnfinishedRequest_ForgottenAndResponseReset()
    {
        int calls = 0;
        using var h = new Http3ServerHarness(new CallbackHandler(_ => calls++));

        // A reset after the FIN changes nothing in QUIC (RFC 9000 §3.2), so the body is still due here.
        long id = h.Request(Post("/up", ("content-length", "100")), fin: false);
        Assert.Equal(1, h.Http.ActiveRequests);
        h.Client.ResetStream(id, 0x10c);
        h.Run();

        Assert.Equal(0, calls);
        Assert.Equal(0, h.Http.ActiveRequests);
        Assert.Equal(0x10cUL, h.ResetCode(id)); // the server abandons its direction too
        Assert.Null(h.CloseCode);
    }

    [Fact]
    public void Process_ClientStopsSendingStreamedResponse_AbortedFiresAndWriteBodyReturnsZero()
    {
        Http3ServerRequest? request = null;
        bool aborted = false;
        using var h = new Http3ServerHarness(new CallbackHandler(r =>
        {
            request = r;
            r.Aborted = _ => aborted = true;
            r.SendHeaders(200, []);
            Assert.Equal(1000, r.WriteBody(new byte[1000]));
        }));

        long id = h.Request(Get("/stream"));
        Assert.NotNull(request);
        h.Client.StopSending(id, 0x10c);
        h.Run();

        Assert.True(aborted);
        Assert.True(request.IsAborted);
        Assert.Equal(0, request.WriteBody(new byte[1000]));
        Assert.Equal(0, h.Http.ActiveRequests);
        Assert.Null(h.CloseCode);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    public void Process_StreamedResponse_EveryByteArrives(double loss)
    {
        byte[] body = new byte[2 * 1024 * 1024];
        new Random(3).NextBytes(body);
        int offset = 0;
        int writableCalls = 0;
        void Pump(Http3ServerRequest r)
        {
            offset += r.WriteBody(body.AsSpan(offset));
            if (offset == body.Length)
            {
                r.Complete();
            }
        }

        using var h = new Http3ServerHarness(new CallbackHandler(r =>
        {
            r.SendHeaders(200, []);
            r.Writable = w =>
            {
                writableCalls++;
                Pump(w);
            };
            Pump(r);
        }));
        h.Pair.ClientToServer = new Engine.Tests.Transport.Quic.Simulation.NetworkConditions { Loss = loss };
        h.Pair.ServerToClient = new Engine.Tests.Transport.Quic.Simulation.NetworkConditions { Loss = loss };

        long id = h.Request(Get());
        h.Pair.Network.RunUntil(() => h.Finished.Contains(id), 400_000);

        Assert.Equal(body, h.Response(id).Body);
        Assert.True(writableCalls > 0, "2 MiB cannot fit the flow-control window in one write");
        Assert.Equal(0, h.Http.ActiveRequests);
    }

    [Fact]
    public void BeginShutdown_PendingRequest_GoAwayThenLaterRejectedThenClosedWhenAnswered()
    {
        var handler = new CallbackHandler(_ => { }); // answers later, by hand
        using var h = new Http3ServerHarness(handler);
        long pending = h.Request(Get("/pending"));

        h.Http.BeginShutdown(h.Pair.Network.Now);
        h.Run();
        long late = h.Request(Get("/late"));
        byte[] control = h.Received[3].ToArray();

        Assert.Equal(H3Assert.Frame((ulong)Http3FrameType.GoAway, H3Assert.Varint((ulong)pending + 4)), control[^3..]); // the first id not served
        Assert.Equal(RequestRejected, h.ResetCode(late));
        Assert.Null(h.CloseCode);

        handler.Requests[0].Respond(Text("done"));
        h.Run();

        Assert.Equal(200, h.Response(pending).Status);
        Assert.Equal(0x100UL, h.CloseCode);
    }

    [Fact]
    public void Process_HandlerThrows_500BeforeHeadersResetAfter()
    {
        using var h = new Http3ServerHarness(new CallbackHandler(r =>
        {
            if (r.Path == "/after")
            {
                r.SendHeaders(200, []);
            }

            throw new InvalidOperationException("handler bug");
        }));

        long before = h.Request(Get("/before"));
        long after = h.Request(Get("/after"));

        Assert.Equal(500, h.Response(before).Status);
        Assert.Equal(InternalError, h.ResetCode(after));
        Assert.Equal(2, h.Http.HandlerErrors);
        Assert.Null(h.CloseCode);
    }
}
