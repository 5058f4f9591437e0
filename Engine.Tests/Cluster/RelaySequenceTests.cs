using Engine.Sessions.Relay;

namespace Engine.Tests.Cluster;

public class RelaySequenceTests
{
    [Fact]
    public void Accept_InOrderReliableAndDatagramsNamingTheLastOne_AllAccepted()
    {
        var sender = new RelaySequence();
        var receiver = new RelaySequence();

        foreach (bool reliable in new[] { true, false, true, true, false, false, true })
        {
            Assert.True(receiver.Accept(reliable, sender.Next(reliable)));
        }
    }

    [Fact]
    public void Accept_AReliableMessageLost_TheNextReliableOrDatagramIsRefused()
    {
        var sender = new RelaySequence();
        var receiver = new RelaySequence();
        Assert.True(receiver.Accept(true, sender.Next(true)));
        _ = sender.Next(true); // lost on the bus

        var afterLoss = receiver;
        Assert.False(receiver.Accept(false, sender.Next(false)));
        Assert.False(afterLoss.Accept(true, sender.Next(true)));
    }

    [Fact]
    public void Accept_DatagramsLost_NothingRefused()
    {
        var sender = new RelaySequence();
        var receiver = new RelaySequence();
        _ = sender.Next(false); // lost: datagrams may be
        Assert.True(receiver.Accept(true, sender.Next(true)));
        _ = sender.Next(false);
        Assert.True(receiver.Accept(false, sender.Next(false)));
    }
}
