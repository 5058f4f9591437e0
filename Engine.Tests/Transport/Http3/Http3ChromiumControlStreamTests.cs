using Engine.Transport.Http3;

namespace Engine.Tests.Transport.Http3;

/// <summary>
/// Chromium 156's control stream as described in docs/interop-chromium-webtransport.md: SETTINGS
/// 0x01=65536, 0x06=16384, 0x07=100, 0x33=1, 0xffd277=1, 0x2b603742=1 and a GREASE setting,
/// then a GREASE frame. Built byte by byte with the widths Chromium uses.
/// </summary>
public class Http3ChromiumControlStreamTests
{
    private const ulong GreaseSettingId = 0x1f * 0x2d5c3a1b8eUL + 0x21;
    private const ulong GreaseFrameType = 0x1f * 0x1a2b3c4d5eUL + 0x21;

    private static byte[] ChromiumControlStream()
    {
        byte[] settingsPayload = H3Assert.Concat(
            H3Assert.Varint(0x01, 1), H3Assert.Varint(65536, 4),
            H3Assert.Varint(0x06, 1), H3Assert.Varint(16384, 4),
            H3Assert.Varint(0x07, 1), H3Assert.Varint(100, 2),
            H3Assert.Varint(0x33, 1), H3Assert.Varint(1, 1),
            H3Assert.Varint(0xffd277, 4), H3Assert.Varint(1, 1),
            H3Assert.Varint(0x2b603742, 4), H3Assert.Varint(1, 1),
            H3Assert.Varint(GreaseSettingId, 8), H3Assert.Varint(0x1a5a, 2));
        byte[] settings = H3Assert.Concat(H3Assert.Varint(0x4, 1), H3Assert.Varint((ulong)settingsPayload.Length, 1), settingsPayload);
        byte[] grease = H3Assert.Concat(H3Assert.Varint(GreaseFrameType, 8), H3Assert.Varint(4, 1), [0xde, 0xad, 0xbe, 0xef]);
        return H3Assert.Concat(settings, grease);
    }

    [Fact]
    public void Fixture_ChromiumLayout_UsesFourAndEightByteVarints()
    {
        string hex = Convert.ToHexString(ChromiumControlStream());
        Assert.StartsWith("04", hex, StringComparison.Ordinal);
        Assert.Contains("C0", hex[(hex.Length - 26)..], StringComparison.Ordinal);
        Assert.Contains("80FFD27701", hex, StringComparison.Ordinal);
        Assert.Contains("AB60374201", hex, StringComparison.Ordinal);
        Assert.True(Http3Grease.IsGrease(GreaseSettingId));
        Assert.True(Http3Grease.IsGrease(GreaseFrameType));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(1000)]
    public void Feed_ChromiumControlStream_ParsesSettingsAndSkipsGrease(int chunk)
    {
        byte[] stream = ChromiumControlStream();
        var reader = new Http3ControlStreamReader(peerIsClient: true);
        Http3ControlEvents seen = Http3ControlEvents.None;
        for (int i = 0; i < stream.Length; i += chunk)
        {
            Assert.Equal(Http3ErrorCode.NoError, reader.Feed(stream.AsSpan(i, Math.Min(chunk, stream.Length - i)), out Http3ControlEvents events));
            seen |= events;
        }

        Assert.Equal(Http3ControlEvents.Settings, seen);
        Assert.Equal(2, reader.FramesRead);
        Http3Settings settings = Assert.IsType<Http3Settings>(reader.PeerSettings);
        Assert.Equal(65536UL, settings.QPackMaxTableCapacity);
        Assert.Equal(16384UL, settings.MaxFieldSectionSize);
        Assert.Equal(100UL, settings.QPackBlockedStreams);
        Assert.Equal(true, settings.H3Datagram);
        Assert.Equal(true, settings.EnableWebTransport);
        Assert.Null(settings.EnableConnectProtocol);
        Assert.Null(settings.WebTransportMaxSessions);
        Assert.True(settings.SupportsWebTransportDraft02);
        Assert.Equal([new Http3Setting(0xffd277, 1), new Http3Setting(GreaseSettingId, 0x1a5a)], settings.Other);

        // The reader is between frames: a GOAWAY parses normally afterwards.
        Assert.Equal(Http3ErrorCode.NoError, reader.Feed(H3Assert.Encode(new Http3GoAwayFrame(7))));
        Assert.Equal(7UL, reader.GoAwayId);
    }
}
