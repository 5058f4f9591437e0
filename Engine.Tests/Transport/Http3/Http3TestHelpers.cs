using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Http3;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Http3;

internal delegate Http3ReadStatus H3Read(ReadOnlySpan<byte> input, out int bytesConsumed, out Http3ErrorCode error);

internal static class H3Assert
{
    /// <summary>Writes a frame, checking GetLength matches the bytes written.</summary>
    public static byte[] Encode<TFrame>(TFrame frame)
        where TFrame : IHttp3Frame
    {
        int length = frame.GetLength();
        var buffer = new byte[length + 32];
        var writer = new SpanWriter(buffer);
        frame.Write(ref writer);
        Assert.Equal(length, writer.Position);
        return buffer[..length];
    }

    /// <summary>Every proper prefix reads as NeedMoreData: no exception, no parse, no error.</summary>
    public static void AllTruncationsNeedMoreData(byte[] encoded, H3Read read)
    {
        for (int length = 0; length < encoded.Length; length++)
        {
            Http3ReadStatus status = read(encoded.AsSpan(0, length), out int consumed, out Http3ErrorCode error);
            Assert.True(
                status == Http3ReadStatus.NeedMoreData,
                $"A {length}-byte prefix of {Convert.ToHexString(encoded)} gave {status} ({error}).");
            Assert.Equal(0, consumed);
        }
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A varint in exactly <paramref name="length"/> bytes.</summary>
    public static byte[] Varint(ulong value, int length)
    {
        var bytes = new byte[length];
        VarInt.WriteWithLength(bytes, value, length);
        return bytes;
    }

    public static byte[] Varint(ulong value) => Varint(value, VarInt.GetLength(value));

    /// <summary>A frame with shortest varints around <paramref name="payload"/>.</summary>
    public static byte[] Frame(ulong type, params byte[] payload) => Concat(Varint(type), Varint((ulong)payload.Length), payload);
}

internal static class H3Gen
{
    /// <summary>Varint values spread across all four encoded lengths.</summary>
    public static readonly Gen<ulong> Varint = Gen.OneOf(
        Gen.ULong[0, 63],
        Gen.ULong[64, 16_383],
        Gen.ULong[16_384, (1UL << 30) - 1],
        Gen.ULong[1UL << 30, VarInt.MaxValue]);

    /// <summary>Any GREASE value (0x1f * N + 0x21).</summary>
    public static readonly Gen<ulong> Grease = Gen.ULong[0, Http3Grease.MaxN].Select(Http3Grease.Value);

    /// <summary>A setting identifier that is neither reserved nor known, GREASE included.</summary>
    public static readonly Gen<ulong> UnknownSettingId = Gen.OneOf(Varint, Grease)
        .Where(id => !Http3Setting.IsReservedHttp2(id) && !Enum.IsDefined((Http3SettingId)id));
}
