using Engine.Transport.Coding;
using Engine.Transport.Http3;
using Engine.Transport.WebTransport.Protocol;

namespace Engine.Tests.Transport.WebTransport;

public class ConnectStreamReaderTests
{
    private static readonly ulong EightByteGreaseCapsule = (0x29UL * 100_000_000) + 0x17;

    [Fact]
    public void Read_CloseFrame_RoundTripsCodeAndReason()
    {
        List<ConnectStreamEvent> events = ReadAll(WebTransportCapsules.CloseSessionFrame(4004, "replaced"), finished: true);
        Assert.Equal(
            [new ConnectStreamEvent(ConnectStreamEventKind.Close, 4004, "replaced"), new ConnectStreamEvent(ConnectStreamEventKind.Finished)],
            events);
    }

    [Fact]
    public void Read_CloseWithEmptyReason_HasEmptyReason()
    {
        List<ConnectStreamEvent> events = ReadAll(WebTransportCapsules.CloseSessionFrame(0, ""), finished: false);
        Assert.Equal([new ConnectStreamEvent(ConnectStreamEventKind.Close, 0, "")], events);
    }

    [Fact]
    public void Read_CloseWith2000ByteReasonMultibyteAtLimit_DeliversTheTruncatedValidReason()
    {
        string reason = new string('r', 1023) + "é" + new string('s', 976);
        List<ConnectStreamEvent> events = ReadAll(WebTransportCapsules.CloseSessionFrame(9, reason), finished: true);
        Assert.Equal(ConnectStreamEventKind.Close, events[0].Kind);
        Assert.Equal(new string('r', 1023), events[0].Reason);
        Assert.Equal(ConnectStreamEventKind.Finished, events[1].Kind);
    }

    [Fact]
    public void Read_Drain_IsDrainEvent() =>
        Assert.Equal([new ConnectStreamEvent(ConnectStreamEventKind.Drain)], ReadAll(WebTransportCapsules.DrainSessionFrame(), finished: false));

    [Fact]
    public void Read_ByteAtATime_EqualsWholeFeeding()
    {
        byte[] stream =
        [
            .. Frame(0x21, [1, 2, 3]),
            .. WebTransportCapsules.CapsuleFrame(EightByteGreaseCapsule, [4, 5]),
            .. WebTransportCapsules.DrainSessionFrame(),
            .. Frame(0x0, []),
            .. WebTransportCapsules.CloseSessionFrame(77, "bye ✓"),
        ];
        List<ConnectStreamEvent> whole = ReadAll(stream, finished: true);

        var reader = new ConnectStreamReader();
        var events = new List<ConnectStreamEvent>();
        for (int i = 0; i < stream.Length; i++)
        {
            reader.Read(stream.AsSpan(i, 1), i == stream.Length - 1, events);
        }

        Assert.Equal(whole, events);
        Assert.Equal(
            [
                new ConnectStreamEvent(ConnectStreamEventKind.Drain),
                new ConnectStreamEvent(ConnectStreamEventKind.Close, 77, "bye ✓"),
                new ConnectStreamEvent(ConnectStreamEventKind.Finished),
            ],
            events);
        Assert.Equal(1, reader.CapsulesSkipped);
    }

    [Fact]
    public void Read_RandomChunking_EqualsWholeFeeding()
    {
        byte[] close = CapsuleBytes(WebTransportCapsules.CloseSessionFrame(4004, "réplaced"));
        byte[] stream =
        [
            .. WebTransportCapsules.CapsuleFrame(EightByteGreaseCapsule, new byte[70]),
            .. Frame(Http3Grease.Value(3), new byte[20]),
            .. WebTransportCapsules.DrainSessionFrame(),
            .. Frame(0x0, close[..3]),
            .. Frame(0x0, close[3..]),
        ];
        List<ConnectStreamEvent> whole = ReadAll(stream, finished: true);
        Assert.Equal(3, whole.Count);

        var random = new Random(1234);
        for (int run = 0; run < 200; run++)
        {
            var reader = new ConnectStreamReader();
            var events = new List<ConnectStreamEvent>();
            int position = 0;
            while (position < stream.Length)
            {
                int size = random.Next(0, Math.Min(40, stream.Length - position) + 1);
                reader.Read(stream.AsSpan(position, size), position + size == stream.Length, events);
                position += size;
            }

            Assert.Equal(whole, events);
        }
    }

    [Fact]
    public void Read_CapsuleSplitAcrossTwoDataFrames_IsReassembled()
    {
        byte[] capsule = CapsuleBytes(WebTransportCapsules.CloseSessionFrame(5, "split"));
        byte[] stream = [.. Frame(0x0, capsule[..4]), .. Frame(0x0, capsule[4..])];
        Assert.Equal([new ConnectStreamEvent(ConnectStreamEventKind.Close, 5, "split")], ReadAll(stream, finished: false));
    }

    [Fact]
    public void Read_TwoCapsulesInOneDataFrame_GivesBothInOrder()
    {
        byte[] payload = [.. CapsuleBytes(WebTransportCapsules.DrainSessionFrame()), .. CapsuleBytes(WebTransportCapsules.CloseSessionFrame(1, "x"))];
        Assert.Equal(
            [new ConnectStreamEvent(ConnectStreamEventKind.Drain), new ConnectStreamEvent(ConnectStreamEventKind.Close, 1, "x")],
            ReadAll(Frame(0x0, payload), finished: false));
    }

    [Fact]
    public void Read_GreaseFrameBetweenCapsuleHalves_IsSkipped()
    {
        byte[] capsule = CapsuleBytes(WebTransportCapsules.CloseSessionFrame(2, "g"));
        ulong greaseFrame = Http3Grease.Value(Http3Grease.MinEightByteN);
        byte[] stream = [.. Frame(0x0, capsule[..2]), .. Frame(greaseFrame, new byte[100]), .. Frame(0x0, capsule[2..])];
        Assert.Equal([new ConnectStreamEvent(ConnectStreamEventKind.Close, 2, "g")], ReadAll(stream, finished: false));
    }

    [Fact]
    public void Read_GreaseCapsuleWithEightByteType_IsSkippedAndCounted()
    {
        var reader = new ConnectStreamReader();
        var events = new List<ConnectStreamEvent>();
        reader.Read(WebTransportCapsules.CapsuleFrame(EightByteGreaseCapsule, new byte[300]), finished: true, events);
        Assert.Equal([new ConnectStreamEvent(ConnectStreamEventKind.Finished)], events);
        Assert.Equal(1, reader.CapsulesSkipped);
    }

    [Fact]
    public void Read_EmptyUnknownCapsule_IsSkipped()
    {
        var reader = new ConnectStreamReader();
        var events = new List<ConnectStreamEvent>();
        reader.Read(WebTransportCapsules.CapsuleFrame(0x1234, []), finished: false, events);
        Assert.Empty(events);
        Assert.Equal(1, reader.CapsulesSkipped);
    }

    [Fact]
    public void Read_HugeUnknownCapsuleInChunks_IsStreamedWithoutBuffering()
    {
        const int declared = 10 * 1024 * 1024;
        const int chunkSize = 64 * 1024;
        var header = new byte[32];
        var writer = new SpanWriter(header);
        int capsuleHeaderLength = VarInt.GetLength(0x1234) + VarInt.GetLength(declared);
        Http3FrameReader.WriteHeader(ref writer, 0x0, (ulong)(capsuleHeaderLength + declared));
        writer.WriteVarint(0x1234);
        writer.WriteVarint(declared);
        var chunk = new byte[chunkSize];
        var reader = new ConnectStreamReader();
        var events = new List<ConnectStreamEvent>(4);
        reader.Read(writer.Written, finished: false, events);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int sent = 0; sent < declared; sent += chunkSize)
        {
            reader.Read(chunk, finished: false, events);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        reader.Read(WebTransportCapsules.DrainSessionFrame(), finished: true, events);

        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes while skipping");
        Assert.Equal(1, reader.CapsulesSkipped);
        Assert.Equal([new ConnectStreamEvent(ConnectStreamEventKind.Drain), new ConnectStreamEvent(ConnectStreamEventKind.Finished)], events);
    }

    [Theory]
    [InlineData(0x1UL)] // HEADERS (trailers)
    [InlineData(0x3UL)] // CANCEL_PUSH
    [InlineData(0x4UL)] // SETTINGS
    [InlineData(0x5UL)] // PUSH_PROMISE
    [InlineData(0x7UL)] // GOAWAY
    [InlineData(0xdUL)] // MAX_PUSH_ID
    [InlineData(0x2UL)] // reserved HTTP/2 PRIORITY
    [InlineData(0x9UL)] // reserved HTTP/2 CONTINUATION
    public void Read_KnownNonDataFrame_IsFrameUnexpected(ulong type) =>
        AssertError(Frame(type, [0]), Http3ErrorCode.FrameUnexpected);

    [Theory]
    [InlineData(3)]
    [InlineData(0)]
    public void Read_CloseValueShorterThanCode_IsMessageError(int valueLength) =>
        AssertError(WebTransportCapsules.CapsuleFrame(WebTransportCapsules.CloseSession, new byte[valueLength]), Http3ErrorCode.MessageError);

    [Fact]
    public void Read_CloseLongerThan1028_IsMessageErrorBeforeTheValueArrives()
    {
        byte[] frame = WebTransportCapsules.CapsuleFrame(WebTransportCapsules.CloseSession, new byte[ConnectStreamReader.MaxCloseCapsuleBytes + 1]);
        AssertError(frame[..8], Http3ErrorCode.MessageError);
    }

    [Fact]
    public void Read_CloseOfExactly1028_IsAccepted()
    {
        byte[] value = new byte[ConnectStreamReader.MaxCloseCapsuleBytes];
        value.AsSpan(4).Fill((byte)'z');
        List<ConnectStreamEvent> events = ReadAll(WebTransportCapsules.CapsuleFrame(WebTransportCapsules.CloseSession, value), finished: false);
        Assert.Equal(new string('z', 1024), Assert.Single(events).Reason);
    }

    [Fact]
    public void Read_CloseWithInvalidUtf8_IsMessageError() =>
        AssertError(WebTransportCapsules.CapsuleFrame(WebTransportCapsules.CloseSession, [0, 0, 0, 1, 0xC3]), Http3ErrorCode.MessageError);

    [Fact]
    public void Read_NonEmptyDrain_IsMessageError() =>
        AssertError(WebTransportCapsules.CapsuleFrame(WebTransportCapsules.DrainSession, [1]), Http3ErrorCode.MessageError);

    [Fact]
    public void Read_DataAfterClose_IsMessageError()
    {
        byte[] stream = [.. WebTransportCapsules.CloseSessionFrame(1, "a"), .. WebTransportCapsules.DrainSessionFrame()];
        List<ConnectStreamEvent> events = ReadAll(stream, finished: true);
        Assert.Equal(ConnectStreamEventKind.Close, events[0].Kind);
        Assert.Equal(new ConnectStreamEvent(ConnectStreamEventKind.Error, ErrorCode: (ulong)Http3ErrorCode.MessageError), events[1]);
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public void Read_DataAfterCloseInTheSameDataFrame_IsMessageError()
    {
        byte[] payload = [.. CapsuleBytes(WebTransportCapsules.CloseSessionFrame(1, "a")), 0x00];
        List<ConnectStreamEvent> events = ReadAll(Frame(0x0, payload), finished: false);
        Assert.Equal([ConnectStreamEventKind.Close, ConnectStreamEventKind.Error], events.Select(e => e.Kind));
        Assert.Equal((ulong)Http3ErrorCode.MessageError, events[1].ErrorCode);
    }

    [Fact]
    public void Read_FinAlone_IsFinished() =>
        Assert.Equal([new ConnectStreamEvent(ConnectStreamEventKind.Finished)], ReadAll([], finished: true));

    [Theory]
    [InlineData(1)] // inside the frame header
    [InlineData(3)] // inside the DATA payload, between capsule header bytes
    [InlineData(6)] // inside the DATA payload, inside the capsule value
    public void Read_FinInsideAFrame_IsFrameError(int cut) =>
        AssertError(WebTransportCapsules.CloseSessionFrame(1, "abc")[..cut], Http3ErrorCode.FrameError, finished: true);

    [Fact]
    public void Read_FinInsideAnUnknownFrame_IsFrameError() =>
        AssertError(Frame(0x21, [1, 2, 3])[..3], Http3ErrorCode.FrameError, finished: true);

    [Fact]
    public void Read_FinBetweenFramesInsideACapsule_IsMessageError()
    {
        byte[] capsule = CapsuleBytes(WebTransportCapsules.CloseSessionFrame(1, "abc"));
        AssertError(Frame(0x0, capsule[..5]), Http3ErrorCode.MessageError, finished: true);
        AssertError(Frame(0x0, capsule[..1]), Http3ErrorCode.MessageError, finished: true);
    }

    [Fact]
    public void Read_AfterError_IgnoresInput()
    {
        var reader = new ConnectStreamReader();
        var events = new List<ConnectStreamEvent>();
        reader.Read(Frame(0x1, [0]), finished: false, events);
        reader.Read(WebTransportCapsules.DrainSessionFrame(), finished: true, events);
        Assert.Equal(ConnectStreamEventKind.Error, Assert.Single(events).Kind);
    }

    [Fact]
    public void Read_AfterFinished_IgnoresInput()
    {
        var reader = new ConnectStreamReader();
        var events = new List<ConnectStreamEvent>();
        reader.Read([], finished: true, events);
        reader.Read(WebTransportCapsules.DrainSessionFrame(), finished: true, events);
        Assert.Equal(ConnectStreamEventKind.Finished, Assert.Single(events).Kind);
    }

    private static List<ConnectStreamEvent> ReadAll(byte[] stream, bool finished)
    {
        var events = new List<ConnectStreamEvent>();
        new ConnectStreamReader().Read(stream, finished, events);
        return events;
    }

    private static void AssertError(byte[] stream, Http3ErrorCode expected, bool finished = false)
    {
        List<ConnectStreamEvent> events = ReadAll(stream, finished);
        Assert.Equal(new ConnectStreamEvent(ConnectStreamEventKind.Error, ErrorCode: (ulong)expected), Assert.Single(events));
    }

    /// <summary>An HTTP/3 frame of any type.</summary>
    private static byte[] Frame(ulong type, byte[] payload)
    {
        var frame = new byte[Http3FrameReader.GetHeaderLength(type, (ulong)payload.Length) + payload.Length];
        var writer = new SpanWriter(frame);
        Http3FrameReader.WriteHeader(ref writer, type, (ulong)payload.Length);
        writer.WriteBytes(payload);
        return frame;
    }

    /// <summary>The capsule inside a one-capsule DATA frame (the frame header stripped).</summary>
    private static byte[] CapsuleBytes(byte[] dataFrame)
    {
        var reader = new SpanReader(dataFrame);
        reader.TryReadVarint(out _);
        reader.TryReadVarint(out _);
        return reader.ReadToEnd().ToArray();
    }
}
