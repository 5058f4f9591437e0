using System.Buffers;
using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Http3;

namespace Engine.Tests.Transport.Http3;

public class Http3FrameReaderTests
{
    [Fact]
    public void TryReadFrameHeader_AnyVarintWidths_ReadsTypeLengthAndHeaderLength()
    {
        Gen.Select(H3Gen.Varint, H3Gen.Varint, Gen.Int[0, 3], Gen.Int[0, 3]).Sample((type, length, typePad, lengthPad) =>
        {
            // Widen either varint beyond its shortest form: receivers must accept any width.
            int typeWidth = Math.Max(Engine.Transport.Coding.VarInt.GetLength(type), 1 << typePad);
            int lengthWidth = Math.Max(Engine.Transport.Coding.VarInt.GetLength(length), 1 << lengthPad);
            byte[] header = H3Assert.Concat(H3Assert.Varint(type, typeWidth), H3Assert.Varint(length, lengthWidth), [0xAA]);

            Assert.Equal(Http3ReadStatus.Done, Http3FrameReader.TryReadFrameHeader(header, out ulong readType, out ulong readLength, out int headerLength));
            Assert.Equal(type, readType);
            Assert.Equal(length, readLength);
            Assert.Equal(typeWidth + lengthWidth, headerLength);

            for (int i = 0; i < typeWidth + lengthWidth; i++)
            {
                Assert.Equal(Http3ReadStatus.NeedMoreData, Http3FrameReader.TryReadFrameHeader(header.AsSpan(0, i), out _, out _, out int partial));
                Assert.Equal(0, partial);
            }
        });
    }

    [Fact]
    public void TryReadFrameHeader_EightByteGreaseTypeFourByteLength_Reads()
    {
        ulong grease = Http3Grease.Value(Http3Grease.MaxN);
        byte[] header = H3Assert.Concat(H3Assert.Varint(grease, 8), H3Assert.Varint(5, 4));
        Assert.Equal(Http3ReadStatus.Done, Http3FrameReader.TryReadFrameHeader(header, out Http3FrameHeader parsed));
        Assert.Equal(new Http3FrameHeader(grease, 5, 12), parsed);
    }

    [Theory]
    [InlineData(0x2UL)]
    [InlineData(0x6UL)]
    [InlineData(0x8UL)]
    [InlineData(0x9UL)]
    public void Validate_ReservedHttp2Type_IsFrameUnexpected(ulong type)
    {
        Assert.Equal(Http3ErrorCode.FrameUnexpected, Http3FrameReader.Validate(type, 0, 1000));
        byte[] frame = H3Assert.Frame(type, 1, 2, 3);
        Assert.Equal(Http3ReadStatus.Error, Http3FrameReader.TryReadFrame(frame, 1000, out _, out _, out int consumed, out Http3ErrorCode error));
        Assert.Equal(Http3ErrorCode.FrameUnexpected, error);
        Assert.Equal(0, consumed);
    }

    [Theory]
    [InlineData((ulong)Http3FrameType.Settings, 101UL, (ulong)Http3ErrorCode.ExcessiveLoad)]
    [InlineData((ulong)Http3FrameType.Headers, 101UL, (ulong)Http3ErrorCode.ExcessiveLoad)]
    [InlineData((ulong)Http3FrameType.PushPromise, 101UL, (ulong)Http3ErrorCode.ExcessiveLoad)]
    [InlineData((ulong)Http3FrameType.Settings, 100UL, (ulong)Http3ErrorCode.NoError)]
    [InlineData((ulong)Http3FrameType.Data, 1UL << 40, (ulong)Http3ErrorCode.NoError)]
    [InlineData((ulong)Http3FrameType.GoAway, 0UL, (ulong)Http3ErrorCode.FrameError)]
    [InlineData((ulong)Http3FrameType.GoAway, 9UL, (ulong)Http3ErrorCode.FrameError)]
    [InlineData((ulong)Http3FrameType.MaxPushId, 9UL, (ulong)Http3ErrorCode.FrameError)]
    [InlineData((ulong)Http3FrameType.CancelPush, 0UL, (ulong)Http3ErrorCode.FrameError)]
    [InlineData((ulong)Http3FrameType.CancelPush, 8UL, (ulong)Http3ErrorCode.NoError)]
    [InlineData(0x21UL, 1UL << 40, (ulong)Http3ErrorCode.NoError)]
    public void Validate_TypeAndLength_GivesDocumentedCode(ulong type, ulong length, ulong expected) =>
        Assert.Equal((Http3ErrorCode)expected, Http3FrameReader.Validate(type, length, 100));

    [Fact]
    public void TryReadFrame_OversizedPayloadAnnounced_ErrorsBeforePayloadArrives()
    {
        // Only the header: a limit breach must not wait for (or buffer) the payload.
        byte[] header = H3Assert.Concat(H3Assert.Varint(0x4), H3Assert.Varint(1_000_000));
        Assert.Equal(Http3ReadStatus.Error, Http3FrameReader.TryReadFrame(header, 1024, out _, out _, out _, out Http3ErrorCode error));
        Assert.Equal(Http3ErrorCode.ExcessiveLoad, error);
    }

    [Fact]
    public void TryReadFrame_UnknownTypeWholeFrame_ReturnsPayloadSlice()
    {
        byte[] frame = H3Assert.Concat(H3Assert.Frame(0x21, 9, 8, 7), [0xFF]);
        Assert.Equal(Http3ReadStatus.Done, Http3FrameReader.TryReadFrame(frame, 100, out ulong type, out ReadOnlySpan<byte> payload, out int consumed, out _));
        Assert.Equal(0x21UL, type);
        Assert.Equal(new byte[] { 9, 8, 7 }, payload.ToArray());
        Assert.Equal(frame.Length - 1, consumed);
        H3Assert.AllTruncationsNeedMoreData(frame[..^1], (ReadOnlySpan<byte> input, out int c, out Http3ErrorCode e) =>
            Http3FrameReader.TryReadFrame(input, 100, out _, out _, out c, out e));
    }

    [Fact]
    public void PayloadCursor_DataFrameFedInRandomChunks_YieldsExactlyThePayload()
    {
        Gen.Select(Gen.Byte.Array[0, 3000], Gen.Int[1, 700].Array[1, 20], Gen.Byte.Array[0, 10]).Sample((payload, chunkSizes, trailer) =>
        {
            byte[] stream = H3Assert.Concat(H3Assert.Frame(0x0, payload), trailer);
            Assert.Equal(Http3ReadStatus.Done, Http3DataFrame.TryRead(stream, out Http3DataFrame frame, out int headerLength, out _));
            var cursor = new Http3PayloadCursor(frame.PayloadLength);
            var received = new List<byte>();
            ReadOnlySpan<byte> rest = stream.AsSpan(headerLength);
            int chunk = 0;
            while (!cursor.IsComplete)
            {
                ReadOnlySpan<byte> piece = rest[..Math.Min(chunkSizes[chunk++ % chunkSizes.Length], rest.Length)];
                ReadOnlySpan<byte> taken = cursor.Take(piece);
                received.AddRange(taken.ToArray());
                rest = rest[taken.Length..];
            }

            Assert.Equal(payload, received.ToArray());
            Assert.Equal(trailer, rest.ToArray());
            Assert.Equal(0, cursor.Take(rest).Length);
        });
    }

    [Fact]
    public void TryReadFrameHeader_SequenceSplitAtEveryByte_ReadsSameHeader()
    {
        byte[] frame = H3Assert.Concat(H3Assert.Varint(Http3Grease.Value(Http3Grease.MaxN), 8), H3Assert.Varint(300, 4), [1, 2]);
        for (int split = 0; split <= frame.Length; split++)
        {
            ReadOnlySequence<byte> sequence = Segment.Build(frame[..split], frame[split..]);
            Assert.Equal(Http3ReadStatus.Done, Http3FrameReader.TryReadFrameHeader(sequence, out Http3FrameHeader header));
            Assert.Equal(new Http3FrameHeader(Http3Grease.Value(Http3Grease.MaxN), 300, 12), header);

            ReadOnlySequence<byte> truncated = Segment.Build(frame[..Math.Min(split, 11)], frame[Math.Min(split, 11)..11]);
            Assert.Equal(Http3ReadStatus.NeedMoreData, Http3FrameReader.TryReadFrameHeader(truncated, out _));
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        private Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Build(byte[] a, byte[] b)
        {
            var first = new Segment(a, 0);
            var second = new Segment(b, a.Length);
            first.Next = second;
            return new ReadOnlySequence<byte>(first, 0, second, b.Length);
        }
    }
}
