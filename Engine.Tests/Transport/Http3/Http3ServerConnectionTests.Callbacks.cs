using System.Text;
using Engine.Transport.Http3;
using static Engine.Tests.Transport.Http3.Http3ServerHarness;

namespace Engine.Tests.Transport.Http3;

/// <summary>Trailers, request heads as the handler sees them, handler callbacks, shutdown and stream bookkeeping.</summary>
public sealed partial class Http3ServerConnectionTests
{
    /// <summary>Answers "ok" except on <paramref name="path"/>, which <paramref name="special"/> handles.</summary>
    private static CallbackHandler OkExcept(string path, Action<Http3ServerRequest> special) => new(r =>
    {
        if (r.Path == path)
        {
            special(r);
        }
        else
        {
            r.Respond(Text("ok"));
        }
    });

    [Fact]
    public void Process_Handshake_ControlStreamOpensWithSettings()
    {
        using var h = new Http3ServerHarness(r => Text("ok"), new Http3ServerOptions { MaxFieldSectionSize = 2048 });
        byte[] control = h.Received[3].ToArray();

        Assert.Equal((byte)Http3StreamType.Control, control[0]);
        Assert.Equal(Http3ReadStatus.Done, Http3FrameReader.TryReadFrameHeader(control.AsSpan(1), out ulong type, out ulong length, out int header));
        Assert.Equal((ulong)Http3FrameType.Settings, type);
        Assert.Equal(Http3ErrorCode.NoError, Http3Settings.TryParsePayload(control.AsSpan(1 + header, (int)length), out Http3Settings settings));
        Assert.Equal(2048UL, settings.MaxFieldSectionSize);
    }

    [Fact]
    public void Process_HeadRequest_WholeResponseWithoutContent()
    {
        using var h = new Http3ServerHarness(r => Text("twelve bytes"));

        long id = h.Request(Headers((":method", "HEAD"), (":scheme", "https"), (":authority", "localhost"), (":path", "/")));

        Assert.Equal((200, 0), (h.Response(id).Status, h.Response(id).Body.Length));
    }

    [Theory]
    [InlineData("table capacity", 0x201UL)] // QPACK_ENCODER_STREAM_ERROR: we allow no dynamic table
    [InlineData("insert count", 0x200UL)] // QPACK_DECOMPRESSION_FAILED: a section may not need dynamic entries
    public void Process_DynamicTableUsed_ClosesWithQPackError(string which, ulong code)
    {
        using var h = new Http3ServerHarness(r => Text("ok"));

        if (which == "table capacity")
        {
            h.OpenUni([(byte)Http3StreamType.QPackEncoder, 0x3f, 0xe1, 0x1f]); // Set Dynamic Table Capacity 4096
        }
        else
        {
            h.Request(H3Assert.Frame((ulong)Http3FrameType.Headers, 0x01, 0x00, 0xd1)); // Required Insert Count 1, then :method GET
        }

        Assert.Equal(code, h.CloseCode);
    }

    [Fact]
    public void Process_TrailersAfterBody_AcceptedAndBodyKept()
    {
        using var h = new Http3ServerHarness(Echo);

        long id = h.Request(H3Assert.Concat(Post("/echo", ("content-length", "4")), Data("ab"u8.ToArray()), Data("cd"u8.ToArray()), Headers(("x-checksum", "1"))));

        Assert.Equal((200, "abcd"), (h.Response(id).Status, Encoding.UTF8.GetString(h.Response(id).Body)));
        Assert.Null(h.CloseCode);
    }

    [Theory]
    [InlineData("data after trailers")]
    [InlineData("second trailers")]
    public void Process_FrameAfterTrailers_ClosesWithFrameUnexpected(string which)
    {
        using var h = new Http3ServerHarness(Echo);
        byte[] trailers = Headers(("x-checksum", "1"));

        h.Request(H3Assert.Concat(Post("/echo"), Data([1]), trailers, which == "second trailers" ? trailers : Data([2])));

        Assert.Equal(FrameUnexpected, h.CloseCode);
    }

    [Theory]
    [InlineData(":path", "/")]
    [InlineData("X-Upper", "1")]
    [InlineData("connection", "close")]
    public void Process_MalformedTrailers_StreamResetWithMessageError(string name, string value)
    {
        int calls = 0;
        using var h = new Http3ServerHarness(r =>
        {
            calls++;
            return Text("ok");
        });

        long id = h.Request(H3Assert.Concat(Post("/up"), Data([1]), Headers((name, value))));
        long next = h.Request(Get());

        Assert.Equal(MessageError, h.ResetCode(id));
        Assert.Equal(200, h.Response(next).Status);
        Assert.Equal(1, calls);
        Assert.Null(h.CloseCode);
    }

    [Fact]
    public void Process_RequestHead_HandlerSeesPseudoHeadersAndFieldsInOrder()
    {
        Http3ServerRequest? seen = null;
        using var h = new Http3ServerHarness(new CallbackHandler(r =>
        {
            seen = r;
            r.Respond(Text("ok"));
        }));

        h.Request(Headers((":method", "PUT"), (":scheme", "https"), (":authority", "example.test:4433"), (":path", "/a?b=c"), ("x-one", "1"), ("accept", "*/*"), ("x-one", "2")));

        Assert.NotNull(seen);
        Assert.Equal(("PUT", "https", "example.test:4433", "/a?b=c"), (seen.Method, seen.Scheme, seen.Authority, seen.Path));
        Assert.Equal(["x-one: 1", "accept: */*", "x-one: 2"], seen.Headers.Select(f => f.Key + ": " + f.Value));
    }

    [Fact]
    public void Process_WebTransportStreamWithoutSession_ResetWithStreamCreationError()
    {
        using var h = new Http3ServerHarness(r => Text("ok"));

        long id = h.Request(H3Assert.Concat(H3Assert.Varint(0x41), H3Assert.Varint(0), [1, 2, 3]));
        long next = h.Request(Get());

        Assert.Equal(StreamCreationError, h.ResetCode(id));
        Assert.Equal(200, h.Response(next).Status);
        Assert.Null(h.CloseCode);
    }

    [Fact]
    public void Process_ClientClosesConnection_EveryPendingRequestAborted()
    {
        int aborted = 0;
        using var h = new Http3ServerHarness(new CallbackHandler(r => r.Aborted = _ =>
        {
            aborted++;
            if (r.Path == "/one")
            {
                throw new InvalidOperationException("handler bug"); // must not keep the other request from its callback
            }
        })); // never answers

        h.Request(Get("/one"));
        h.Request(Get("/two"));
        Assert.Equal(2, h.Http.ActiveRequests);
        h.Client.Close(0x100, "bye", h.Pair.Network.Now);
        h.Run(500);

        Assert.Equal(2, aborted);
        Assert.Equal(0, h.Http.ActiveRequests);
        Assert.Null(h.Http.InternalError);
    }

    [Fact]
    public void Process_AsyncResponseAfterClientCancelled_WritesNothingAndNeverThrows()
    {
        var handler = new CallbackHandler(_ => { }); // answers later, by hand
        using var h = new Http3ServerHarness(handler);
        long id = h.Request(Get());
        h.Client.ResetStream(id, 0x10c);
        h.Client.StopSending(id, 0x10c);
        h.Run();
        Http3ServerRequest request = Assert.Single(handler.Requests);
        Assert.True(request.IsAborted);

        request.SendHeaders(200, []);
        Assert.Equal(0, request.WriteBody(new byte[100]));
        request.Complete();
        h.Run();

        Assert.Equal(0, h.Http.ActiveRequests);
        Assert.Null(h.Http.InternalError);
        Assert.Null(h.CloseCode);
    }

    [Fact]
    public void Process_WritableCallbackThrows_OnlyThatRequestReset()
    {
        using var h = new Http3ServerHarness(OkExcept("/throws", r =>
        {
            r.SendHeaders(200, []);
            r.Writable = _ => throw new InvalidOperationException("handler bug");
            while (r.WriteBody(new byte[64 * 1024]) == 64 * 1024)
            {
                // fill the send buffer so that Writable is called later
            }
        }));

        long failing = h.Request(Get("/throws"));
        h.Run(500);
        long next = h.Request(Get("/next"));

        Assert.Equal(InternalError, h.ResetCode(failing));
        Assert.Equal(200, h.Response(next).Status);
        Assert.Equal(1, h.Http.HandlerErrors);
        Assert.Null(h.Http.InternalError);
        Assert.Null(h.CloseCode);
    }

    [Fact]
    public void Process_AbortedCallbackThrows_ConnectionSurvives()
    {
        using var h = new Http3ServerHarness(OkExcept("/pending", r => r.Aborted = _ => throw new InvalidOperationException("handler bug")));

        long pending = h.Request(Get("/pending"));
        h.Client.StopSending(pending, 0x10c);
        h.Run();
        long next = h.Request(Get("/next"));

        Assert.Equal(200, h.Response(next).Status);
        Assert.Equal(1, h.Http.HandlerErrors);
        Assert.Equal(0, h.Http.ActiveRequests);
        Assert.Null(h.Http.InternalError);
        Assert.Null(h.CloseCode);
    }

    [Fact]
    public void Process_HeadersLargerThanSendBuffer_WritableNotCalledAfterComplete()
    {
        byte[] body = [];
        int offset = 0;
        void Pump(Http3ServerRequest r)
        {
            offset += r.WriteBody(body.AsSpan(offset)); // throws once the response is complete
            if (offset == body.Length)
            {
                r.Complete();
            }
        }

        using var h = new Http3ServerHarness(new CallbackHandler(r =>
        {
            r.SendHeaders(200, [new("x-big", new string('a', 512 * 1024))]); // 320 KiB Huffman-coded: more than the 256 KiB stream send buffer
            r.Writable = Pump;
            Pump(r);
        }));

        long id = h.Request(Get());
        h.Run(2000);

        Assert.Contains(id, h.Finished);
        Assert.True(h.Received[id].Length > 300 * 1024, "the headers were written in more than one go");
        Assert.Equal(0, h.Http.HandlerErrors);
        Assert.Null(h.Http.InternalError);
        Assert.Null(h.CloseCode);
    }

    [Fact]
    public void BeginShutdown_NothingInFlight_ClosedWithNoError()
    {
        using var h = new Http3ServerHarness(r => Text("ok"));

        h.Http.BeginShutdown(h.Pair.Network.Now);
        h.Run();

        Assert.True(h.Http.IsShuttingDown);
        Assert.Equal(0x100UL, h.CloseCode);
    }

    [Fact]
    public void Process_UnknownUniStreamLongerThanOneRead_RestNeverTakenForAStreamType()
    {
        using var h = new Http3ServerHarness(r => Text("ok"));
        byte[] stream = new byte[100_000]; // zeros: any of them read as a stream type would be a control stream
        H3Assert.Varint(0x1f * 5UL + 0x21, 8).CopyTo(stream, 0);

        long id = h.OpenUni(stream);
        h.Run(500);

        Assert.Equal(StreamCreationError, h.StopSendingCode(id));
        Assert.Null(h.Http.PeerSettings);
        Assert.Null(h.CloseCode);
    }

    [Fact]
    public void Process_ManyUnknownUniStreams_StoppedOrReadAndReleased()
    {
        using var h = new Http3ServerHarness(r => Text("ok"));
        byte[] greaseType = H3Assert.Varint(0x1f * 9UL + 0x21, 8);

        // Three times the client's uni stream limit (100): only possible if the server lets each go.
        for (int i = 0; i < 300; i++)
        {
            if (!h.Client.TryOpenStream(bidirectional: false, out long id))
            {
                h.Run(300);
                Assert.True(h.Client.TryOpenStream(bidirectional: false, out id), $"stream {i} could not be opened");
            }

            Assert.Equal(greaseType.Length + 2, h.Client.WriteStream(id, [.. greaseType, 1, 2], fin: i % 2 == 0));
        }

        h.Run(500);
        long next = h.Request(Get());

        Assert.Equal(200, h.Response(next).Status);
        Assert.Equal(150, h.ClientEvents.Count(e => e.Kind == Engine.Transport.Quic.QuicConnectionEventKind.StreamPeerStopSending && (e.StreamId & 3) == 2));
        Assert.Equal(0, h.Http.ActiveRequests);
        Assert.Null(h.CloseCode);
    }
}
