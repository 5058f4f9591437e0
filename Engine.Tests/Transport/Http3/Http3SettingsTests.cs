using CsCheck;
using Engine.Transport.Http3;

namespace Engine.Tests.Transport.Http3;

public class Http3SettingsTests
{
    private static readonly Gen<bool?> s_flag = Gen.OneOf(Gen.Const((bool?)null), Gen.Bool.Select(b => (bool?)b));

    private static Gen<ulong?> Optional(Gen<ulong> gen) => Gen.OneOf(Gen.Const((ulong?)null), gen.Select(v => (ulong?)v));

    private static readonly Gen<Http3Settings> s_settings =
        Gen.Select(
            Gen.Select(Optional(H3Gen.Varint), Optional(H3Gen.Varint), Optional(H3Gen.Varint), Optional(H3Gen.Varint)),
            Gen.Select(s_flag, s_flag, s_flag),
            Gen.Select(H3Gen.UnknownSettingId, H3Gen.Varint).Select((id, v) => new Http3Setting(id, v)).Array[0, 5])
        .Select((numbers, flags, other) => new Http3Settings
        {
            QPackMaxTableCapacity = numbers.Item1,
            MaxFieldSectionSize = numbers.Item2,
            QPackBlockedStreams = numbers.Item3,
            WebTransportMaxSessions = numbers.Item4,
            EnableConnectProtocol = flags.Item1,
            H3Datagram = flags.Item2,
            EnableWebTransport = flags.Item3,
            Other = other.DistinctBy(s => s.Id).ToArray(),
        });

    [Fact]
    public void ToFrameBytes_RandomSettings_ParseBackEqual()
    {
        s_settings.Sample(settings =>
        {
            byte[] bytes = settings.ToFrameBytes();
            Assert.Equal(Http3ReadStatus.Done, Http3FrameReader.TryReadFrame(bytes, 4096, out ulong type, out ReadOnlySpan<byte> payload, out _, out _));
            Assert.Equal((ulong)Http3FrameType.Settings, type);
            Assert.Equal(Http3ErrorCode.NoError, Http3Settings.TryParsePayload(payload, out Http3Settings parsed));
            Assert.Equal(settings, parsed);
        });
    }

    [Theory]
    [InlineData(0x08UL)]
    [InlineData(0x33UL)]
    [InlineData(0x2b603742UL)]
    public void TryParsePayload_BooleanSettingAboveOne_IsSettingsError(ulong id)
    {
        Assert.Equal(Http3ErrorCode.SettingsError, Http3Settings.TryParsePayload(H3Assert.Concat(H3Assert.Varint(id), H3Assert.Varint(2)), out _));
        Assert.Equal(Http3ErrorCode.NoError, Http3Settings.TryParsePayload(H3Assert.Concat(H3Assert.Varint(id), H3Assert.Varint(0)), out _));
        Assert.Equal(Http3ErrorCode.NoError, Http3Settings.TryParsePayload(H3Assert.Concat(H3Assert.Varint(id), H3Assert.Varint(1)), out _));
    }

    [Fact]
    public void TryParsePayload_Absent_EffectiveDefaultsApply()
    {
        Assert.Equal(Http3ErrorCode.NoError, Http3Settings.TryParsePayload([], out Http3Settings settings));
        Assert.Equal(0UL, settings.EffectiveQPackMaxTableCapacity);
        Assert.Equal(0UL, settings.EffectiveQPackBlockedStreams);
        Assert.Equal(ulong.MaxValue, settings.EffectiveMaxFieldSectionSize);
        Assert.False(settings.SupportsWebTransportDraft02);
    }

    [Fact]
    public void BuildServerSettingsFrame_ForChromium_HasExactlyTheRequiredSettings()
    {
        byte[] bytes = Http3Settings.BuildServerSettingsFrame(16384, new Random(42));
        Assert.Equal(Http3ReadStatus.Done, Http3SettingsFrame.TryRead(bytes, 4096, out Http3SettingsFrame frame, out int consumed, out _));
        Assert.Equal(bytes.Length, consumed);

        var known = frame.Settings.Where(s => !Http3Grease.IsGrease(s.Id)).ToArray();
        Assert.Equal(
            [
                new Http3Setting(Http3SettingId.QPackMaxTableCapacity, 0),
                new Http3Setting(Http3SettingId.MaxFieldSectionSize, 16384),
                new Http3Setting(Http3SettingId.QPackBlockedStreams, 0),
                new Http3Setting(Http3SettingId.EnableConnectProtocol, 1),
                new Http3Setting(Http3SettingId.H3Datagram, 1),
                new Http3Setting(Http3SettingId.EnableWebTransport, 1),
            ],
            known);
        Http3Setting grease = Assert.Single(frame.Settings, s => Http3Grease.IsGrease(s.Id));
        Assert.Equal(frame.Settings[^1], grease);
        Assert.DoesNotContain(frame.Settings, s => s.Id == (ulong)Http3SettingId.WebTransportMaxSessions);

        // ENABLE_WEBTRANSPORT on the wire as the 4-byte varint 0xab603742, value 1.
        Assert.Contains("AB60374201", Convert.ToHexString(bytes), StringComparison.Ordinal);

        // The GREASE identifier takes an 8-byte varint.
        string greaseHex = Convert.ToHexString(H3Assert.Varint(grease.Id, 8));
        Assert.Contains(greaseHex, Convert.ToHexString(bytes), StringComparison.Ordinal);

        Assert.Equal(Http3ErrorCode.NoError, Http3Settings.TryCreate(frame, out Http3Settings settings));
        Assert.True(settings.SupportsWebTransportDraft02);
        Assert.Equal(true, settings.EnableConnectProtocol);
    }

    [Fact]
    public void BuildServerSettingsFrame_TwoRandoms_DifferOnlyInGrease()
    {
        byte[] a = Http3Settings.BuildServerSettingsFrame(1000, new Random(1));
        byte[] b = Http3Settings.BuildServerSettingsFrame(1000, new Random(2));
        Assert.NotEqual(a, b);
        Http3SettingsFrame.TryRead(a, 4096, out Http3SettingsFrame fa, out _, out _);
        Http3SettingsFrame.TryRead(b, 4096, out Http3SettingsFrame fb, out _, out _);
        Assert.Equal(fa.Settings.Take(6), fb.Settings.Take(6));
    }
}
