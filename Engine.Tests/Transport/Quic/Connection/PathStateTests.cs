using System.Net;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Recovery;

namespace Engine.Tests.Transport.Quic.Connection;

public sealed class PathStateTests
{
    private static readonly IPEndPoint Peer = new(IPAddress.Loopback, 4433);

    [Fact]
    public void AmplificationBudget_ServerMaySendThreeTimesWhatItReceivedUntilValidated()
    {
        var path = new PathState(Peer, isServer: true, localMaxDatagramSize: 1350);
        Assert.Equal(0, path.AmplificationBudget);

        path.OnDatagramReceived(1200);
        path.OnDatagramSent(1000);
        Assert.Equal(2600, path.AmplificationBudget);

        path.OnDatagramSent(3000);
        Assert.Equal(0, path.AmplificationBudget); // never negative

        path.OnValidated();
        Assert.Equal(long.MaxValue, path.AmplificationBudget);
    }

    [Fact]
    public void AmplificationBudget_ClientIsNeverLimited()
    {
        var path = new PathState(Peer, isServer: false, localMaxDatagramSize: 1350);

        Assert.True(path.IsValidated);
        Assert.Equal(long.MaxValue, path.AmplificationBudget);
    }

    [Fact]
    public void MaxDatagramSize_IsTheSmallerOfOursAndThePeers()
    {
        var path = new PathState(Peer, isServer: false, localMaxDatagramSize: 1350);
        Assert.Equal(1350, path.MaxDatagramSize);

        path.PeerMaxUdpPayloadSize = 1252;
        Assert.Equal(1252, path.MaxDatagramSize);
    }

    [Fact]
    public void PathChallenge_IsAnsweredOnceWithTheLatestData()
    {
        var path = new PathState(Peer, isServer: true, localMaxDatagramSize: 1350);
        path.OnPathChallenge(1);
        path.OnPathChallenge(0x0102030405060708);
        var frames = new List<SentFrame>();
        byte[] buffer = new byte[32];
        var writer = new SpanWriter(buffer);

        path.WritePathResponse(ref writer, frames);
        path.WritePathResponse(ref writer, frames);

        Assert.False(path.HasPathResponse);
        Assert.Equal(9, writer.Position);
        Assert.Equal(new byte[] { 0x1b, 1, 2, 3, 4, 5, 6, 7, 8 }, buffer[..9]);
        Assert.Single(frames);
    }
}
