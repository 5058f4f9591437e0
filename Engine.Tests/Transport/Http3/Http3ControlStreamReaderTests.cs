using CsCheck;
using Engine.Transport.Http3;

namespace Engine.Tests.Transport.Http3;

public class Http3ControlStreamReaderTests
{
    private static readonly byte[] s_settings = Http3Settings.BuildServerSettingsFrame(4096, new Random(3));

    private static byte[] GoAway(ulong id) => H3Assert.Encode(new Http3GoAwayFrame(id));

    private static byte[] MaxPushId(ulong id) => H3Assert.Encode(new Http3MaxPushIdFrame(id));

    private static byte[] Grease(int payloadLength) => H3Assert.Encode(Http3UnknownFrame.CreateGrease(new Random(payloadLength), new byte[payloadLength]));

    private static Http3ErrorCode FeedAll(Http3ControlStreamReader reader, byte[] bytes, int chunk)
    {
        Http3ErrorCode result = Http3ErrorCode.NoError;
        for (int i = 0; i < bytes.Length; i += chunk)
        {
            result = reader.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        }

        return result;
    }

    [Fact]
    public void Feed_SettingsThenFrames_ReportsEventsAndValues()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: true);
        Assert.Equal(Http3ErrorCode.NoError, reader.Feed(s_settings, out Http3ControlEvents events));
        Assert.Equal(Http3ControlEvents.Settings, events);
        Assert.NotNull(reader.PeerSettings);
        Assert.True(reader.PeerSettings.SupportsWebTransportDraft02);

        Assert.Equal(Http3ErrorCode.NoError, reader.Feed(H3Assert.Concat(MaxPushId(5), Grease(3), GoAway(8)), out events));
        Assert.Equal(Http3ControlEvents.MaxPushId | Http3ControlEvents.GoAway, events);
        Assert.Equal(5UL, reader.MaxPushId);
        Assert.Equal(8UL, reader.GoAwayId);
        Assert.Equal(4, reader.FramesRead);
    }

    [Fact]
    public void Feed_FirstFrameNotSettings_IsMissingSettings()
    {
        foreach (byte[] first in new[] { GoAway(0), Grease(0), H3Assert.Frame(0x0, 1), H3Assert.Frame(0x2) })
        {
            var reader = new Http3ControlStreamReader(peerIsClient: true);
            Assert.Equal(Http3ErrorCode.MissingSettings, reader.Feed(H3Assert.Concat(first, s_settings)));
            Assert.Null(reader.PeerSettings);
        }
    }

    [Fact]
    public void Feed_SecondSettings_IsFrameUnexpected()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: true);
        Assert.Equal(Http3ErrorCode.FrameUnexpected, reader.Feed(H3Assert.Concat(s_settings, Grease(2), s_settings)));
    }

    [Theory]
    [InlineData(0x0UL)]
    [InlineData(0x1UL)]
    [InlineData(0x5UL)]
    [InlineData(0x2UL)]
    [InlineData(0x6UL)]
    [InlineData(0x8UL)]
    [InlineData(0x9UL)]
    public void Feed_RequestOrReservedFrameAfterSettings_IsFrameUnexpected(ulong type)
    {
        var reader = new Http3ControlStreamReader(peerIsClient: true);
        Assert.Equal(Http3ErrorCode.NoError, reader.Feed(s_settings));

        // Only the header: the error must not wait for the payload.
        Assert.Equal(Http3ErrorCode.FrameUnexpected, reader.Feed(H3Assert.Concat(H3Assert.Varint(type), H3Assert.Varint(1000))));
        Assert.Equal(Http3ErrorCode.FrameUnexpected, reader.Error);
    }

    [Fact]
    public void Feed_GoAwayIdIncreases_IsIdError()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: false);
        Assert.Equal(Http3ErrorCode.NoError, reader.Feed(H3Assert.Concat(s_settings, GoAway(100), GoAway(100), GoAway(40))));
        Assert.Equal(40UL, reader.GoAwayId);
        Assert.Equal(Http3ErrorCode.IdError, reader.Feed(GoAway(44)));
        Assert.Equal(40UL, reader.GoAwayId);
    }

    [Fact]
    public void Feed_ServerGoAwayNotClientBidiStream_IsIdError()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: false);
        Assert.Equal(Http3ErrorCode.IdError, reader.Feed(H3Assert.Concat(s_settings, GoAway(1))));

        // From a client the ID is a push ID: any value.
        var server = new Http3ControlStreamReader(peerIsClient: true);
        Assert.Equal(Http3ErrorCode.NoError, server.Feed(H3Assert.Concat(s_settings, GoAway(1))));
    }

    [Fact]
    public void Feed_MaxPushIdDecreases_IsIdError()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: true);
        Assert.Equal(Http3ErrorCode.NoError, reader.Feed(H3Assert.Concat(s_settings, MaxPushId(10), MaxPushId(10), MaxPushId(12))));
        Assert.Equal(Http3ErrorCode.IdError, reader.Feed(MaxPushId(11)));
    }

    [Fact]
    public void Feed_MaxPushIdFromServer_IsFrameUnexpected()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: false);
        Assert.Equal(Http3ErrorCode.FrameUnexpected, reader.Feed(H3Assert.Concat(s_settings, MaxPushId(1))));
    }

    [Fact]
    public void Feed_CancelPush_FromClientIsIdErrorFromServerRecorded()
    {
        byte[] cancel = H3Assert.Encode(new Http3CancelPushFrame(3));
        Assert.Equal(Http3ErrorCode.IdError, new Http3ControlStreamReader(peerIsClient: true).Feed(H3Assert.Concat(s_settings, cancel)));

        var client = new Http3ControlStreamReader(peerIsClient: false);
        Assert.Equal(Http3ErrorCode.NoError, client.Feed(H3Assert.Concat(s_settings, cancel), out Http3ControlEvents events));
        Assert.True(events.HasFlag(Http3ControlEvents.CancelPush));
        Assert.Equal(3UL, client.LastCancelledPushId);
    }

    [Fact]
    public void Feed_SettingsOverLimit_IsExcessiveLoadFromHeaderAlone()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: true, maxBufferedPayload: 64);
        Assert.Equal(Http3ErrorCode.ExcessiveLoad, reader.Feed(H3Assert.Concat(H3Assert.Varint(0x4), H3Assert.Varint(65))));
    }

    [Fact]
    public void Feed_HugeGreaseFrame_IsSkippedWithoutBuffering()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: true, maxBufferedPayload: 64);
        byte[] grease = Grease(100_000);
        Assert.Equal(Http3ErrorCode.NoError, FeedAll(reader, H3Assert.Concat(s_settings, grease, GoAway(4)), 997));
        Assert.Equal(4UL, reader.GoAwayId);
    }

    [Fact]
    public void Feed_ErrorThenMoreBytes_ErrorSticks()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: true);
        Assert.Equal(Http3ErrorCode.MissingSettings, reader.Feed(GoAway(0)));
        Assert.Equal(Http3ErrorCode.MissingSettings, reader.Feed(s_settings));
        Assert.Null(reader.PeerSettings);
        Assert.Equal(Http3ErrorCode.MissingSettings, reader.OnStreamEnded());
    }

    [Fact]
    public void OnStreamEnded_HealthyStream_IsClosedCriticalStream()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: true);
        reader.Feed(s_settings);
        Assert.Equal(Http3ErrorCode.ClosedCriticalStream, reader.OnStreamEnded());
    }

    [Fact]
    public void Feed_MalformedSettings_IsSettingsErrorAndNoSettingsReported()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: true);
        Assert.Equal(Http3ErrorCode.SettingsError, reader.Feed(H3Assert.Frame(0x4, 0x33, 0x02)));
        Assert.Null(reader.PeerSettings);
    }

    [Fact]
    public void Feed_RandomSplits_SameOutcomeAsWholeStream()
    {
        byte[] stream = H3Assert.Concat(s_settings, Grease(0), MaxPushId(1UL << 40), Grease(300), GoAway(1UL << 50), H3Assert.Frame(0x21), GoAway(12));
        var whole = new Http3ControlStreamReader(peerIsClient: true);
        Assert.Equal(Http3ErrorCode.NoError, whole.Feed(stream));
        Assert.Equal(7, whole.FramesRead);

        Gen.Int[0, stream.Length].Array[0, 12].Sample(cuts =>
        {
            var reader = new Http3ControlStreamReader(peerIsClient: true);
            int previous = 0;
            foreach (int cut in cuts.Order().Append(stream.Length))
            {
                Assert.Equal(Http3ErrorCode.NoError, reader.Feed(stream.AsSpan(previous, cut - previous)));
                previous = cut;
            }

            Assert.Equal(whole.PeerSettings, reader.PeerSettings);
            Assert.Equal(12UL, reader.GoAwayId);
            Assert.Equal(1UL << 40, reader.MaxPushId);
            Assert.Equal(7, reader.FramesRead);
        });
    }

    [Fact]
    public void Feed_OneByteAtATime_SettingsReportedOnlyOnTheLastByte()
    {
        var reader = new Http3ControlStreamReader(peerIsClient: true);
        for (int i = 0; i < s_settings.Length; i++)
        {
            Assert.Equal(Http3ErrorCode.NoError, reader.Feed(s_settings.AsSpan(i, 1), out Http3ControlEvents events));
            Assert.Equal(i == s_settings.Length - 1 ? Http3ControlEvents.Settings : Http3ControlEvents.None, events);
            Assert.Equal(i == s_settings.Length - 1, reader.PeerSettings is not null);
        }
    }
}
