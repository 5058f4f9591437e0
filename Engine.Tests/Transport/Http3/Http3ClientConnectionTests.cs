using Engine.Transport.Http3;
using Engine.Transport.Http3.QPack;
using Engine.Transport.Quic;

namespace Engine.Tests.Transport.Http3;

public sealed class Http3ClientConnectionTests
{
    private static readonly (string, string) Ok = (":status", "200");

    [Fact]
    public void Get_WholeResponse_Completes()
    {
        using var h = Http3ClientHarness.Ready();
        Http3ClientResponse response = h.Get();
        h.Write(response.StreamId, H3Assert.Concat(Http3ClientHarness.Headers(Ok), Http3ClientHarness.Data("hel"u8.ToArray()), Http3ClientHarness.Data("lo"u8.ToArray())), fin: true);

        Assert.True(response.IsComplete, response.Failure?.Message);
        Assert.True(response.Completion.IsCompletedSuccessfully);
        Assert.Equal(200, response.Status);
        Assert.Equal("hello"u8.ToArray(), response.Body.ToArray());
        Assert.Equal(0, h.Http.PendingRequests);
    }

    [Fact]
    public void Process_ControlStreamTypeSplitAcrossReads_ControlStreamRecognized()
    {
        using var h = new Http3ClientHarness();
        byte[] stream = H3Assert.Concat(H3Assert.Varint((ulong)Http3StreamType.Control, 8), Http3ClientHarness.Settings, Http3ClientHarness.GoAway(8));
        Assert.True(h.Server.TryOpenStream(bidirectional: false, out long id));
        foreach (byte b in stream)
        {
            h.Write(id, [b]);
        }

        Assert.Null(h.ClientCloseCode);
        Assert.Equal(8UL, h.Http.GoAwayId);
    }

    [Fact]
    public void Process_GreaseStreamTypeSplitAcrossReads_StreamStoppedAndForgotten()
    {
        using var h = Http3ClientHarness.Ready();
        byte[] type = H3Assert.Varint(0x1f * 12_345UL + 0x21, 8);
        long grease = h.OpenServerUni(type[..3]);
        Assert.Equal(2, h.Http.TrackedPeerStreams); // the control stream and the partial prefix
        h.Write(grease, [.. type[3..], 1, 2, 3]);

        Assert.Contains(h.ServerEvents, e => e.Kind == QuicConnectionEventKind.StreamPeerStopSending && e.StreamId == grease
            && e.ErrorCode == (ulong)Http3ErrorCode.StreamCreationError);
        Assert.Equal(1, h.Http.TrackedPeerStreams);
        Assert.Null(h.ClientCloseCode);
    }

    [Fact]
    public void Process_ManyFinishedUnknownStreams_NoStateRetained()
    {
        using var h = Http3ClientHarness.Ready();
        for (int i = 0; i < 20; i++)
        {
            h.OpenServerUni(i % 2 == 0 ? [0x40] : [0x21, 9, 9], fin: true); // a prefix cut by the FIN, or a whole GREASE type
        }

        Assert.Equal(1, h.Http.TrackedPeerStreams);
        Assert.Null(h.ClientCloseCode);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x02)]
    [InlineData(0x03)]
    public void Process_SecondCriticalStream_ClosesWithStreamCreationError(byte streamType)
    {
        var type = (Http3StreamType)streamType;
        using var h = Http3ClientHarness.Ready();
        byte[] opening = type == Http3StreamType.Control ? H3Assert.Concat([0x00], Http3ClientHarness.Settings) : [(byte)type];
        if (type != Http3StreamType.Control)
        {
            h.OpenServerUni(opening);
            Assert.Null(h.ClientCloseCode);
        }

        h.OpenServerUni(opening);

        Assert.Equal((ulong)Http3ErrorCode.StreamCreationError, h.ClientCloseCode);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x02)]
    [InlineData(0x03)]
    public void Process_CriticalStreamFinished_ClosesWithClosedCriticalStream(byte streamType)
    {
        var type = (Http3StreamType)streamType;
        using var h = new Http3ClientHarness();
        long id = type == Http3StreamType.Control ? h.OpenServerControl() : h.OpenServerUni([(byte)type]);
        Assert.Null(h.ClientCloseCode);

        h.Write(id, [], fin: true);

        Assert.Equal((ulong)Http3ErrorCode.ClosedCriticalStream, h.ClientCloseCode);
    }

    [Fact]
    public void Process_ControlStreamReset_ClosesWithClosedCriticalStream()
    {
        using var h = new Http3ClientHarness();
        long id = h.OpenServerControl();

        h.Server.ResetStream(id, (ulong)Http3ErrorCode.NoError);
        h.Run();

        Assert.Equal((ulong)Http3ErrorCode.ClosedCriticalStream, h.ClientCloseCode);
    }

    [Fact]
    public void Get_DataFrameOverMaxBody_FailsAtFrameHeaderWithExcessiveLoad()
    {
        using var h = Http3ClientHarness.Ready(new Http3ClientOptions { MaxBodyBytes = 1000 });
        Http3ClientResponse response = h.Get();

        // 600 bytes fit; a second frame announcing 600 more does not, though only 10 of them are sent.
        h.Write(response.StreamId, H3Assert.Concat(Http3ClientHarness.Headers(Ok), Http3ClientHarness.Data(new byte[600]), H3Assert.Varint(0), H3Assert.Varint(600), new byte[10]));

        Assert.Equal(Http3ErrorCode.ExcessiveLoad, response.Error);
        Assert.Contains("MaxBodyBytes", response.Failure!.Message, StringComparison.Ordinal);
        Assert.True(response.Completion.IsFaulted);
        Assert.Contains(h.ServerEvents, e => e.Kind == QuicConnectionEventKind.StreamPeerStopSending && e.StreamId == response.StreamId
            && e.ErrorCode == (ulong)Http3ErrorCode.ExcessiveLoad);
        Assert.Null(h.ClientCloseCode);
    }

    [Fact]
    public void Get_HeadersFrameOverMaxFieldSectionSize_FailsAtFrameHeaderWithExcessiveLoad()
    {
        using var h = Http3ClientHarness.Ready(new Http3ClientOptions { MaxFieldSectionSize = 1024 });
        Http3ClientResponse response = h.Get();

        h.Write(response.StreamId, H3Assert.Concat(H3Assert.Varint(1), H3Assert.Varint(5000), new byte[10]));

        Assert.Equal(Http3ErrorCode.ExcessiveLoad, response.Error);
        Assert.Contains("MaxFieldSectionSize", response.Failure!.Message, StringComparison.Ordinal);
        Assert.Contains(h.ServerEvents, e => e.Kind == QuicConnectionEventKind.StreamPeerStopSending && e.StreamId == response.StreamId);
        Assert.Null(h.ClientCloseCode);
    }

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(64 * 1024, -1)]
    [InlineData(63, 1000)]
    public void Constructor_InvalidOptions_Throws(int maxFieldSectionSize, long maxBodyBytes)
    {
        var options = new Http3ClientOptions { MaxFieldSectionSize = maxFieldSectionSize, MaxBodyBytes = maxBodyBytes };

        Assert.Throws<ArgumentException>(options.Validate);
    }

    [Theory]
    [InlineData("+20")]
    [InlineData("099")]
    [InlineData("600")]
    [InlineData("20")]
    [InlineData("2000")]
    [InlineData(" 20")]
    [InlineData("2a0")]
    [InlineData("101")]
    public void Get_InvalidStatus_FailsWithMessageError(string status)
    {
        using var h = Http3ClientHarness.Ready();
        Http3ClientResponse response = h.Get();

        h.Write(response.StreamId, H3Assert.Concat(Http3ClientHarness.Headers((":status", status)), Http3ClientHarness.Data([1])), fin: true);

        Assert.Equal(Http3ErrorCode.MessageError, response.Error);
        Assert.Null(h.ClientCloseCode);
    }

    [Fact]
    public void Get_MissingOrRepeatedStatus_FailsWithMessageError()
    {
        using var h = Http3ClientHarness.Ready();
        Http3ClientResponse missing = h.Get();
        Http3ClientResponse repeated = h.Get();

        h.Write(missing.StreamId, Http3ClientHarness.Headers(("server", "x")), fin: true);
        h.Write(repeated.StreamId, Http3ClientHarness.Headers(Ok, Ok), fin: true);

        Assert.Equal(Http3ErrorCode.MessageError, missing.Error);
        Assert.Equal(Http3ErrorCode.MessageError, repeated.Error);
    }

    [Fact]
    public void Get_UppercaseFieldName_FailsWithMessageError()
    {
        using var h = Http3ClientHarness.Ready();
        Http3ClientResponse response = h.Get();

        h.Write(response.StreamId, Http3ClientHarness.Headers(Ok, ("Server", "x")), fin: true);

        Assert.Equal(Http3ErrorCode.MessageError, response.Error);
    }

    [Fact]
    public void Get_InformationalBeforeFinal_CompletesWithFinalStatus()
    {
        using var h = Http3ClientHarness.Ready();
        Http3ClientResponse response = h.Get();

        h.Write(response.StreamId, H3Assert.Concat(
            Http3ClientHarness.Headers((":status", "103"), ("link", "</a>")),
            Http3ClientHarness.Headers((":status", "100")),
            Http3ClientHarness.Headers(Ok),
            Http3ClientHarness.Data([7])), fin: true);

        Assert.True(response.IsComplete, response.Failure?.Message);
        Assert.Equal(200, response.Status);
        Assert.Equal(2, response.InformationalResponses);
        Assert.Equal([7], response.Body.ToArray());
    }

    [Fact]
    public void Get_TrailersAfterBody_Completes()
    {
        using var h = Http3ClientHarness.Ready();
        Http3ClientResponse response = h.Get();

        h.Write(response.StreamId, H3Assert.Concat(
            Http3ClientHarness.Headers(Ok), Http3ClientHarness.Data([1, 2]), Http3ClientHarness.Headers(("grpc-status", "0"))), fin: true);

        Assert.True(response.IsComplete, response.Failure?.Message);
        Assert.True(response.HadTrailers);
        Assert.Equal([1, 2], response.Body.ToArray());
    }

    [Fact]
    public void Get_DataAfterTrailers_ClosesWithFrameUnexpected()
    {
        using var h = Http3ClientHarness.Ready();
        Http3ClientResponse response = h.Get();

        h.Write(response.StreamId, H3Assert.Concat(
            Http3ClientHarness.Headers(Ok), Http3ClientHarness.Headers(("x-trailer", "1")), Http3ClientHarness.Data([1])));

        Assert.Equal(Http3ErrorCode.FrameUnexpected, response.Error);
        Assert.Equal((ulong)Http3ErrorCode.FrameUnexpected, h.ClientCloseCode);
    }

    [Fact]
    public void Get_DataBeforeHeaders_ClosesWithFrameUnexpected()
    {
        using var h = Http3ClientHarness.Ready();
        Http3ClientResponse response = h.Get();
        Http3ClientResponse other = h.Get();

        h.Write(response.StreamId, Http3ClientHarness.Data([1]));

        Assert.Equal(Http3ErrorCode.FrameUnexpected, response.Error);
        Assert.Equal((ulong)Http3ErrorCode.FrameUnexpected, h.ClientCloseCode);
        Assert.NotNull(other.Failure); // every unfinished request fails with the connection
    }

    [Fact]
    public void Get_UndecodableFieldSection_ClosesConnectionWithDecompressionFailed()
    {
        using var h = Http3ClientHarness.Ready();
        Http3ClientResponse response = h.Get();

        // Required Insert Count 1: a dynamic-table reference although we allow no table (RFC 9204 §4.5.1.1).
        h.Write(response.StreamId, Http3ClientHarness.RawHeaders([0x02, 0x00, 0x80]));

        Assert.Equal((ulong)QPackErrorCode.DecompressionFailed, h.ClientCloseCode);
        Assert.Equal(0x200UL, h.ClientCloseCode);
        Assert.NotNull(response.Failure);
    }

    [Fact]
    public void Get_GreaseFramesAroundHeadersAndData_Skipped()
    {
        using var h = Http3ClientHarness.Ready();
        Http3ClientResponse response = h.Get();

        h.Write(response.StreamId, H3Assert.Concat(
            Http3ClientHarness.GreaseFrame(5),
            Http3ClientHarness.Headers(Ok),
            Http3ClientHarness.GreaseFrame(0),
            Http3ClientHarness.Data([1]),
            Http3ClientHarness.GreaseFrame(3000),
            Http3ClientHarness.Data([2]),
            Http3ClientHarness.GreaseFrame(1)), fin: true);

        Assert.True(response.IsComplete, response.Failure?.Message);
        Assert.Equal([1, 2], response.Body.ToArray());
        Assert.Null(h.ClientCloseCode);
    }

    [Fact]
    public void Process_GoAway_FailsRequestsAtOrAboveIdAsRetryable()
    {
        using var h = new Http3ClientHarness();
        long control = h.OpenServerControl();
        Http3ClientResponse first = h.Get();
        Http3ClientResponse second = h.Get();
        Http3ClientResponse third = h.Get();

        h.Write(control, Http3ClientHarness.GoAway((ulong)second.StreamId));

        Assert.Equal((ulong)second.StreamId, h.Http.GoAwayId);
        foreach (Http3ClientResponse refused in new[] { second, third })
        {
            Assert.True(refused.Failure!.IsSafeToRetry);
            Assert.Contains("going away", refused.Failure.Message, StringComparison.Ordinal);
        }

        Assert.Null(first.Failure);
        h.Write(first.StreamId, Http3ClientHarness.Headers(Ok), fin: true);
        Assert.True(first.IsComplete);
        Http3RequestException late = Assert.Throws<Http3RequestException>(() => h.Http.Get("localhost", "/"));
        Assert.True(late.IsSafeToRetry);
        Assert.Null(h.ClientCloseCode);
    }

    [Fact]
    public void Process_GoAwayIdIncreases_ClosesWithIdError()
    {
        using var h = new Http3ClientHarness();
        long control = h.OpenServerControl(Http3ClientHarness.GoAway(8));
        Assert.Null(h.ClientCloseCode);

        h.Write(control, Http3ClientHarness.GoAway(12));

        Assert.Equal((ulong)Http3ErrorCode.IdError, h.ClientCloseCode);
    }
}
