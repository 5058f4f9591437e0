using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Quic;

public class TransportParametersTests
{
    private static byte[] Encode(TransportParameters parameters)
    {
        var buffer = new byte[parameters.GetLength()];
        var writer = new SpanWriter(buffer);
        parameters.Write(ref writer);
        Assert.Equal(buffer.Length, writer.Position);
        return buffer;
    }

    private static byte[] Param(ulong id, byte[] value)
    {
        var buffer = new byte[16 + value.Length];
        var writer = new SpanWriter(buffer);
        writer.WriteVarint(id);
        writer.WriteVarint((ulong)value.Length);
        writer.WriteBytes(value);
        return writer.Written.ToArray();
    }

    private static byte[] VarintParam(ulong id, ulong value)
    {
        var encoded = new byte[VarInt.GetLength(value)];
        VarInt.Write(encoded, value);
        return Param(id, encoded);
    }

    private static TransportParameters Full() => new()
    {
        OriginalDestinationConnectionId = [1, 2, 3, 4, 5, 6, 7, 8],
        MaxIdleTimeout = 30000,
        StatelessResetToken = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray(),
        MaxUdpPayloadSize = 1472,
        InitialMaxData = 15728640,
        InitialMaxStreamDataBidiLocal = 6291456,
        InitialMaxStreamDataBidiRemote = 6291457,
        InitialMaxStreamDataUni = 6291458,
        InitialMaxStreamsBidi = 100,
        InitialMaxStreamsUni = 103,
        AckDelayExponent = 7,
        MaxAckDelay = 40,
        DisableActiveMigration = true,
        PreferredAddress = [.. new byte[24], 4, 9, 9, 9, 9, .. new byte[16]],
        ActiveConnectionIdLimit = 8,
        InitialSourceConnectionId = [],
        RetrySourceConnectionId = [0xaa],
        MaxDatagramFrameSize = 65536,
    };

    private static void AssertSame(TransportParameters expected, TransportParameters actual)
    {
        Assert.Equal(expected.OriginalDestinationConnectionId, actual.OriginalDestinationConnectionId);
        Assert.Equal(expected.MaxIdleTimeout, actual.MaxIdleTimeout);
        Assert.Equal(expected.StatelessResetToken, actual.StatelessResetToken);
        Assert.Equal(expected.MaxUdpPayloadSize, actual.MaxUdpPayloadSize);
        Assert.Equal(expected.InitialMaxData, actual.InitialMaxData);
        Assert.Equal(expected.InitialMaxStreamDataBidiLocal, actual.InitialMaxStreamDataBidiLocal);
        Assert.Equal(expected.InitialMaxStreamDataBidiRemote, actual.InitialMaxStreamDataBidiRemote);
        Assert.Equal(expected.InitialMaxStreamDataUni, actual.InitialMaxStreamDataUni);
        Assert.Equal(expected.InitialMaxStreamsBidi, actual.InitialMaxStreamsBidi);
        Assert.Equal(expected.InitialMaxStreamsUni, actual.InitialMaxStreamsUni);
        Assert.Equal(expected.AckDelayExponent, actual.AckDelayExponent);
        Assert.Equal(expected.MaxAckDelay, actual.MaxAckDelay);
        Assert.Equal(expected.DisableActiveMigration, actual.DisableActiveMigration);
        Assert.Equal(expected.PreferredAddress, actual.PreferredAddress);
        Assert.Equal(expected.ActiveConnectionIdLimit, actual.ActiveConnectionIdLimit);
        Assert.Equal(expected.InitialSourceConnectionId, actual.InitialSourceConnectionId);
        Assert.Equal(expected.RetrySourceConnectionId, actual.RetrySourceConnectionId);
        Assert.Equal(expected.MaxDatagramFrameSize, actual.MaxDatagramFrameSize);
    }

    [Fact]
    public void TryParse_Empty_GivesRfcDefaults()
    {
        Assert.True(TransportParameters.TryParse([], fromServer: false, out TransportParameters p, out _));
        Assert.Equal(65527UL, p.MaxUdpPayloadSize);
        Assert.Equal(3UL, p.AckDelayExponent);
        Assert.Equal(25UL, p.MaxAckDelay);
        Assert.Equal(2UL, p.ActiveConnectionIdLimit);
        Assert.Equal(0UL, p.InitialMaxData);
        Assert.Null(p.InitialSourceConnectionId);
    }

    [Fact]
    public void Write_AllParameters_ParsesBackEqual()
    {
        TransportParameters full = Full();
        Assert.True(TransportParameters.TryParse(Encode(full), fromServer: true, out TransportParameters read, out string error), error);
        AssertSame(full, read);
    }

    [Fact]
    public void Write_RandomParameters_RoundTrips()
    {
        Gen.Select(Gen.ULong[0, VarInt.MaxValue], Gen.ULong[1200, 65527], Gen.ULong[0, 1UL << 60], Gen.ULong[0, 20], Gen.ULong[0, (1UL << 14) - 1], Gen.ULong[2, VarInt.MaxValue], Gen.Byte.Array[0, 20], Gen.Bool)
            .Sample((number, udp, streams, exponent, ackDelay, cidLimit, cid, migration) =>
            {
                var p = new TransportParameters
                {
                    MaxIdleTimeout = number,
                    MaxUdpPayloadSize = udp,
                    InitialMaxData = number / 2,
                    InitialMaxStreamDataUni = number / 3,
                    InitialMaxStreamsBidi = streams,
                    InitialMaxStreamsUni = streams / 2,
                    AckDelayExponent = exponent,
                    MaxAckDelay = ackDelay,
                    ActiveConnectionIdLimit = cidLimit,
                    InitialSourceConnectionId = cid,
                    DisableActiveMigration = migration,
                    MaxDatagramFrameSize = number / 5,
                };
                Assert.True(TransportParameters.TryParse(Encode(p), fromServer: false, out TransportParameters read, out string error), error);
                AssertSame(p, read);
            });
    }

    [Fact]
    public void TryParse_EveryTruncation_Rejected()
    {
        byte[] encoded = Encode(Full());
        for (int length = 0; length < encoded.Length; length++)
        {
            // A cut exactly between two parameters is a valid shorter list; every other cut fails.
            bool ok = TransportParameters.TryParse(encoded.AsSpan(0, length), fromServer: true, out _, out string error);
            Assert.Equal(IsBoundary(encoded, length), ok);
            Assert.Equal(ok, error.Length == 0);
        }
    }

    private static bool IsBoundary(byte[] encoded, int length)
    {
        int at = 0;
        while (at < length)
        {
            VarInt.TryRead(encoded.AsSpan(at), out _, out int idLength);
            VarInt.TryRead(encoded.AsSpan(at + idLength), out ulong valueLength, out int lengthLength);
            at += idLength + lengthLength + (int)valueLength;
        }

        return at == length;
    }

    [Fact]
    public void TryParse_DuplicateParameter_Rejected()
    {
        byte[] input = [.. VarintParam(0x04, 10), .. VarintParam(0x01, 5), .. VarintParam(0x04, 10)];
        Assert.False(TransportParameters.TryParse(input, fromServer: false, out _, out string error));
        Assert.Contains("duplicate", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_GreaseAndUnknownIds_Ignored()
    {
        byte[] input = [.. Param(27, [1, 2, 3]), .. Param(31 * 1000 + 27, []), .. Param(0x3128, [9]), .. VarintParam(0x04, 77), .. Param(27, [])];
        Assert.True(TransportParameters.IsGrease(31 * 1000 + 27));
        Assert.False(TransportParameters.IsGrease(0x20));
        Assert.True(TransportParameters.TryParse(input, fromServer: false, out TransportParameters p, out string error), error);
        Assert.Equal(77UL, p.InitialMaxData);
    }

    [Theory]
    [InlineData(0x01, new byte[] { 0x40, 0x05, 0x00 })] // varint plus a trailing byte
    [InlineData(0x01, new byte[] { 0x40 })]             // varint longer than the value
    [InlineData(0x01, new byte[0])]                      // empty numeric value
    [InlineData(0x0c, new byte[] { 0x00 })]              // disable_active_migration not empty
        public void TryParse_ValueLengthMismatch_Rejected(ulong id, byte[] value)
    {
        Assert.False(TransportParameters.TryParse(Param(id, value), fromServer: false, out _, out string error));
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData(0x03, 1199UL)]
    [InlineData(0x08, (1UL << 60) + 1)]
    [InlineData(0x09, (1UL << 60) + 1)]
    [InlineData(0x0a, 21UL)]
    [InlineData(0x0b, 1UL << 14)]
    [InlineData(0x0e, 1UL)]
    public void TryParse_OutOfRange_Rejected(ulong id, ulong value)
    {
        Assert.False(TransportParameters.TryParse(VarintParam(id, value), fromServer: false, out _, out _));
    }

    [Theory]
    [InlineData(0x03, 1200UL)]
    [InlineData(0x08, 1UL << 60)]
    [InlineData(0x0a, 20UL)]
    [InlineData(0x0b, (1UL << 14) - 1)]
    [InlineData(0x0e, 2UL)]
    public void TryParse_AtLimit_Accepted(ulong id, ulong value)
    {
        Assert.True(TransportParameters.TryParse(VarintParam(id, value), fromServer: false, out _, out string error), error);
    }

    [Theory]
    [InlineData(0x00, 8)]
    [InlineData(0x02, 16)]
    [InlineData(0x10, 4)]
    public void TryParse_ServerOnlyFromClient_Rejected(ulong id, int length)
    {
        byte[] input = Param(id, new byte[length]);
        Assert.False(TransportParameters.TryParse(input, fromServer: false, out _, out string error));
        Assert.Contains("server-only", error, StringComparison.Ordinal);
        Assert.True(TransportParameters.TryParse(input, fromServer: true, out _, out error), error);
    }

    [Fact]
    public void TryParse_ConnectionIdOver20Bytes_Rejected()
    {
        Assert.False(TransportParameters.TryParse(Param(0x0f, new byte[21]), fromServer: false, out _, out _));
    }

    [Fact]
    public void TryParse_StatelessResetTokenWrongLength_Rejected()
    {
        Assert.False(TransportParameters.TryParse(Param(0x02, new byte[15]), fromServer: true, out _, out _));
    }

    [Fact]
    public void TryParse_PreferredAddressBadCidLength_Rejected()
    {
        byte[] zeroCid = [.. new byte[24], 0, .. new byte[16]];
        Assert.False(TransportParameters.TryParse(Param(0x0d, zeroCid), fromServer: true, out _, out _));
        Assert.False(TransportParameters.TryParse(Param(0x0d, new byte[10]), fromServer: true, out _, out _));
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrows()
    {
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            _ = TransportParameters.TryParse(bytes, fromServer: true, out _, out _);
        }, iter: 20_000);
    }
}
