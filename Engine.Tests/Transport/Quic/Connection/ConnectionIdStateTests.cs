using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Connection;

public sealed class ConnectionIdStateTests
{
    private static readonly byte[] Local = [1, 1, 1, 1, 1, 1, 1, 1];
    private static readonly byte[] ClientChosen = [2, 2, 2, 2, 2, 2, 2, 2];
    private static readonly byte[] ServerChosen = [3, 3, 3, 3];
    private static readonly byte[] ResetToken = new byte[16];

    [Fact]
    public void IsOurs_ServerAcceptsTheClientsOriginalIdOnlyOnInitials()
    {
        var server = new ConnectionIdState(isServer: true, Local, [9], ClientChosen, activeLimit: 2);

        Assert.True(server.IsOurs(Local, QuicPacketType.OneRtt));
        Assert.True(server.IsOurs(ClientChosen, QuicPacketType.Initial));
        Assert.False(server.IsOurs(ClientChosen, QuicPacketType.Handshake));
        Assert.False(server.IsOurs(ServerChosen, QuicPacketType.Initial));
    }

    [Fact]
    public void OnInitialPacket_ClientAdoptsTheServersFirstIdOnly()
    {
        var client = new ConnectionIdState(isServer: false, Local, ClientChosen, ClientChosen, activeLimit: 2);
        Assert.False(client.RemoteConfirmed);

        client.OnInitialPacket(ServerChosen);
        client.OnInitialPacket([4, 4]);

        Assert.True(client.RemoteConfirmed);
        Assert.Equal(ServerChosen, client.Remote.ToArray());
        Assert.Equal(ClientChosen, client.OriginalDestination.ToArray());
        Assert.False(client.IsOurs(ClientChosen, QuicPacketType.Initial)); // only a server answers to the original ID
    }

    [Fact]
    public void OnInitialPacket_ServerKeepsTheClientsId()
    {
        var server = new ConnectionIdState(isServer: true, Local, [9, 9], ClientChosen, activeLimit: 2);

        server.OnInitialPacket(ServerChosen);

        Assert.False(server.RemoteConfirmed);
        Assert.Equal(new byte[] { 9, 9 }, server.Remote.ToArray());
    }

    [Fact]
    public void OnNewConnectionId_CountsActiveIdsAgainstOurLimit()
    {
        var state = new ConnectionIdState(isServer: true, Local, ClientChosen, ClientChosen, activeLimit: 2);

        Assert.Equal(QuicTransportErrorCode.NoError, state.OnNewConnectionId(new NewConnectionIdFrame(1, 0, [5, 5], ResetToken)));
        Assert.Equal(QuicTransportErrorCode.ConnectionIdLimitError, state.OnNewConnectionId(new NewConnectionIdFrame(2, 0, [6, 6], ResetToken)));
        Assert.Equal(2UL, state.HighestPeerSequence);

        // Retiring everything before 2 leaves 2 and 3 active: within the limit.
        Assert.Equal(QuicTransportErrorCode.NoError, state.OnNewConnectionId(new NewConnectionIdFrame(3, 2, [7, 7], ResetToken)));
    }

    [Fact]
    public void OnNewConnectionId_FromAPeerWithAZeroLengthId_IsProtocolViolation()
    {
        var state = new ConnectionIdState(isServer: true, Local, [], ClientChosen, activeLimit: 2);

        Assert.Equal(QuicTransportErrorCode.ProtocolViolation, state.OnNewConnectionId(new NewConnectionIdFrame(1, 0, [5, 5], ResetToken)));
    }

    [Fact]
    public void OnRetireConnectionId_OnlySequenceZeroWasIssued()
    {
        Assert.Equal(QuicTransportErrorCode.NoError, ConnectionIdState.OnRetireConnectionId(0));
        Assert.Equal(QuicTransportErrorCode.ProtocolViolation, ConnectionIdState.OnRetireConnectionId(1));
    }
}
