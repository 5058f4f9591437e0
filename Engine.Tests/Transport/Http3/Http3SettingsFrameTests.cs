using CsCheck;
using Engine.Transport.Http3;

namespace Engine.Tests.Transport.Http3;

public class Http3SettingsFrameTests
{
    private static readonly Gen<Http3Setting[]> s_uniqueSettings =
        Gen.Select(Gen.OneOf(H3Gen.UnknownSettingId, Gen.Const(1UL), Gen.Const(6UL), Gen.Const(7UL)), H3Gen.Varint)
            .Select((id, value) => new Http3Setting(id, value))
            .Array[0, 40]
            .Select(settings => settings.DistinctBy(s => s.Id).ToArray());

    [Fact]
    public void Write_RandomSettings_ReadsBackSameListInOrder()
    {
        s_uniqueSettings.Sample(settings =>
        {
            byte[] encoded = H3Assert.Encode(new Http3SettingsFrame(settings));
            Assert.Equal(Http3ReadStatus.Done, Http3SettingsFrame.TryRead(encoded, 4096, out Http3SettingsFrame frame, out int consumed, out _));
            Assert.Equal(settings, frame.Settings);
            Assert.Equal(encoded.Length, consumed);
            H3Assert.AllTruncationsNeedMoreData(encoded, (ReadOnlySpan<byte> input, out int c, out Http3ErrorCode e) =>
                Http3SettingsFrame.TryRead(input, 4096, out _, out c, out e));
        }, iter: 300);
    }

    [Theory]
    [InlineData(0x00UL)]
    [InlineData(0x02UL)]
    [InlineData(0x03UL)]
    [InlineData(0x04UL)]
    [InlineData(0x05UL)]
    public void TryReadPayload_ReservedHttp2Id_IsSettingsError(ulong id)
    {
        byte[] payload = H3Assert.Concat(H3Assert.Varint(0x06), H3Assert.Varint(100), H3Assert.Varint(id), H3Assert.Varint(1));
        Assert.Equal(Http3ErrorCode.SettingsError, Http3SettingsFrame.TryReadPayload(payload, out _));
        Assert.Equal(Http3ReadStatus.Error, Http3SettingsFrame.TryRead(H3Assert.Frame(0x4, payload), 100, out _, out int consumed, out Http3ErrorCode error));
        Assert.Equal(Http3ErrorCode.SettingsError, error);
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void TryReadPayload_DuplicateId_IsSettingsError()
    {
        // Known, unknown and GREASE identifiers alike; the duplicate written in a wider varint too.
        ulong grease = Http3Grease.Value(12345);
        foreach (ulong id in new ulong[] { 0x01, 0x33, 0x2b603742, grease })
        {
            byte[] payload = H3Assert.Concat(H3Assert.Varint(id), H3Assert.Varint(1), H3Assert.Varint(0x07), H3Assert.Varint(0), H3Assert.Varint(id, 8), H3Assert.Varint(1));
            Assert.Equal(Http3ErrorCode.SettingsError, Http3SettingsFrame.TryReadPayload(payload, out _));
        }
    }

    [Fact]
    public void TryReadPayload_DuplicateAfterManySettings_IsSettingsError()
    {
        var parts = new List<byte[]>();
        for (ulong i = 0; i < 40; i++)
        {
            parts.Add(H3Assert.Varint(Http3Grease.Value(i)));
            parts.Add(H3Assert.Varint(i));
        }

        byte[] unique = H3Assert.Concat([.. parts]);
        Assert.Equal(Http3ErrorCode.NoError, Http3SettingsFrame.TryReadPayload(unique, out Http3SettingsFrame frame));
        Assert.Equal(40, frame.Settings.Count);

        byte[] duplicated = H3Assert.Concat(unique, H3Assert.Varint(Http3Grease.Value(3)), H3Assert.Varint(0));
        Assert.Equal(Http3ErrorCode.SettingsError, Http3SettingsFrame.TryReadPayload(duplicated, out _));
    }

    [Fact]
    public void TryReadPayload_EndsInsidePair_IsFrameError()
    {
        Assert.Equal(Http3ErrorCode.FrameError, Http3SettingsFrame.TryReadPayload([0x06], out _));
        Assert.Equal(Http3ErrorCode.FrameError, Http3SettingsFrame.TryReadPayload([0x06, 0x40], out _));
        Assert.Equal(Http3ErrorCode.NoError, Http3SettingsFrame.TryReadPayload([], out Http3SettingsFrame empty));
        Assert.Empty(empty.Settings);
    }

    [Fact]
    public void Write_LargeIds_UseFourAndEightByteVarints()
    {
        byte[] encoded = H3Assert.Encode(new Http3SettingsFrame([
            new Http3Setting(Http3SettingId.EnableWebTransport, 1),
            new Http3Setting(Http3SettingId.WebTransportMaxSessions, 1),
            new Http3Setting(Http3SettingId.H3DatagramDraft04, 1),
        ]));

        // 04, length 0x13 (5 + 9 + 5), 2b603742 (4 bytes, 0x80 prefix) 01 | c671706a (8 bytes, 0xc0 prefix) 01 | ffd277 (4 bytes) 01
        Assert.Equal("0413AB60374201C0000000C671706A0180FFD27701", Convert.ToHexString(encoded));
    }
}
