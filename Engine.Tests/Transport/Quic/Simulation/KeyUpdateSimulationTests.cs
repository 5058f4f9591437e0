using Engine.Transport.Quic;

namespace Engine.Tests.Transport.Quic.Simulation;

public sealed class KeyUpdateSimulationTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void KeyUpdate_EitherSideInitiates_BothRotateAndDataKeepsFlowing(bool clientInitiates)
    {
        using var pair = new QuicTestPair(seed: 700);
        var lossy = new NetworkConditions { Loss = 0.05, Reordering = 0.3, Jitter = TimeSpan.FromMilliseconds(3) };
        pair.ClientToServer = lossy;
        pair.ServerToClient = lossy;
        Assert.True(pair.ConnectAndHandshake(maxSteps: 50_000));
        byte[] before = TransferSimulationTests.RandomBytes(1, 50_000);
        byte[] after = TransferSimulationTests.RandomBytes(2, 200_000);
        Assert.True(pair.Client!.TryOpenStream(bidirectional: false, out long first));
        pair.QueueWrite(pair.Client, first, before);
        Assert.True(pair.Network.RunUntil(() => pair.ServerFinished.Contains(first), 100_000));

        (clientInitiates ? pair.Client : pair.Server!).InitiateKeyUpdate();
        Assert.True(pair.Client.TryOpenStream(bidirectional: false, out long second));
        pair.QueueWrite(pair.Client, second, after);
        Assert.True(pair.Network.RunUntil(() => pair.ServerFinished.Contains(second), 200_000), $"client {pair.Client.CloseInfo}, server {pair.Server!.CloseInfo}");

        Assert.Equal(after, pair.ServerReceived[second].ToArray());
        Assert.Equal(1, pair.Client.KeyUpdates);
        Assert.Equal(1, pair.Server!.KeyUpdates);
        Assert.Null(pair.Client.CloseInfo);
        Assert.Null(pair.Server.CloseInfo);
    }
}
