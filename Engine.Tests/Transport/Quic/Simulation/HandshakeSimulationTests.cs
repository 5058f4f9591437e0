using Engine.Transport.Coding;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Quic.Simulation;

public sealed class HandshakeSimulationTests
{
    [Fact]
    public void Handshake_PerfectNetwork_CompletesAndDiscardsEarlyKeys()
    {
        using var pair = new QuicTestPair(seed: 1);

        Assert.True(pair.ConnectAndHandshake());

        QuicConnectionCore client = pair.Client!;
        QuicConnectionCore server = pair.Server!;
        Assert.Equal("h3", client.NegotiatedApplicationProtocol);
        Assert.Equal("h3", server.NegotiatedApplicationProtocol);
        Assert.True(server.IsHandshakeConfirmed);
        Assert.Contains(pair.ClientEvents, e => e.Kind == QuicConnectionEventKind.HandshakeCompleted);
        Assert.Contains(pair.ServerEvents, e => e.Kind == QuicConnectionEventKind.HandshakeCompleted);
        Assert.Equal(TlsConstants.X25519, client.Tls.NegotiatedGroup);

        // RFC 9001 §4.9: Initial and Handshake keys are gone once the handshake is confirmed.
        foreach (QuicConnectionCore side in new[] { client, server })
        {
            Assert.False(side.PacketSpaces.HasKeys(QuicPacketSpace.Initial));
            Assert.False(side.PacketSpaces.HasKeys(QuicPacketSpace.Handshake));
            Assert.True(side.PacketSpaces.HasKeys(QuicPacketSpace.ApplicationData));
        }

        // Both sides learned the other's transport parameters, DATAGRAM support included.
        Assert.Equal(65536UL, client.PeerTransportParameters!.MaxDatagramFrameSize);
        Assert.Equal(65536UL, server.PeerTransportParameters!.MaxDatagramFrameSize);
        Assert.True(client.MaxDatagramPayloadSize > 1000);
    }

    [Fact]
    public void Handshake_ZeroLengthClientConnectionIdLikeChromium_CompletesAndCarriesData()
    {
        using var pair = new QuicTestPair(seed: 21, clientConnectionIdLength: 0);
        pair.ClientToServer = new NetworkConditions { Loss = 0.1 };
        pair.ServerToClient = new NetworkConditions { Loss = 0.1 };
        Assert.True(pair.ConnectAndHandshake(maxSteps: 50_000));
        Assert.Equal(0, pair.Client!.LocalConnectionId.Length);
        Assert.Equal([], pair.Server!.PeerTransportParameters!.InitialSourceConnectionId!);

        byte[] payload = TransferSimulationTests.RandomBytes(21, 100_000);
        Assert.True(pair.Client.TryOpenStream(bidirectional: true, out long streamId));
        pair.QueueWrite(pair.Client, streamId, payload);
        Assert.True(pair.Network.RunUntil(() => pair.ServerFinished.Contains(streamId), 100_000));
        Assert.Equal(payload, pair.ServerReceived[streamId].ToArray());

        pair.QueueWrite(pair.Server, streamId, "reply"u8.ToArray());
        Assert.True(pair.Network.RunUntil(() => pair.ClientFinished.Contains(streamId), 100_000));
        pair.ServerToClient = NetworkConditions.Perfect; // datagrams are never resent: a lost one would stay lost
        Assert.True(pair.Server.TrySendDatagram("tick"u8));
        Assert.True(pair.Network.RunUntil(() => pair.ClientDatagrams.Count == 1, 10_000));
    }

    [Fact]
    public void Handshake_ClientDatagrams_ArePaddedTo1200()
    {
        using var pair = new QuicTestPair(seed: 2);
        var clientInitialSizes = new List<int>();
        pair.Network.OnSend = (from, datagram) =>
        {
            if (from.Equals(QuicTestPair.ClientAddress) && (datagram[0] & 0xf0) == 0xc0)
            {
                clientInitialSizes.Add(datagram.Length);
            }
        };

        Assert.True(pair.ConnectAndHandshake());

        Assert.NotEmpty(clientInitialSizes);
        Assert.All(clientInitialSizes, size => Assert.True(size >= 1200, $"client Initial datagram of {size} bytes"));
    }

    [Fact]
    public void Handshake_ThirtyPercentLossEachWay_CompletesForEverySeed()
    {
        long lost = 0;
        for (int seed = 1; seed <= 40; seed++)
        {
            using var pair = new QuicTestPair(seed);
            pair.ClientToServer = new NetworkConditions { Loss = 0.30 };
            pair.ServerToClient = new NetworkConditions { Loss = 0.30 };

            Assert.True(pair.ConnectAndHandshake(maxSteps: 50_000), $"seed {seed}: handshake did not complete; {pair.Network.DatagramsLost} of {pair.Network.DatagramsSent} datagrams lost, client close: {pair.Client?.CloseInfo}, server close: {pair.Server?.CloseInfo}");
            lost += pair.Network.DatagramsLost;
        }

        Assert.True(lost >= 40, $"only {lost} datagrams lost over 40 handshakes");
    }

    [Fact]
    public void Handshake_CorruptionDuplicationAndReordering_CompletesForEverySeed()
    {
        var conditions = new NetworkConditions { Corruption = 0.2, Duplication = 0.2, Reordering = 0.3, Jitter = TimeSpan.FromMilliseconds(5) };
        long corrupted = 0;
        long dropped = 0;
        for (int seed = 100; seed < 120; seed++)
        {
            using var pair = new QuicTestPair(seed);
            pair.ClientToServer = conditions;
            pair.ServerToClient = conditions;

            Assert.True(pair.ConnectAndHandshake(maxSteps: 50_000), $"seed {seed}: client close {pair.Client?.CloseInfo}, server close {pair.Server?.CloseInfo}");
            corrupted += pair.Network.DatagramsCorrupted;
            dropped += pair.Client!.Statistics.PacketsDropped + pair.Server!.Statistics.PacketsDropped;
        }

        Assert.True(corrupted > 0);
        Assert.True(dropped > 0, "corrupted packets must fail authentication and be dropped");
    }

    [Fact]
    public void Handshake_WrongPinnedHash_ClosesWithCryptoError()
    {
        using var pair = new QuicTestPair(seed: 3);
        pair.ClientOptions = pair.ClientOptions with
        {
            Tls = pair.ClientOptions.Tls with { ServerCertificateHashes = [new byte[32]] },
        };

        pair.Connect();
        Assert.True(pair.Network.RunUntil(() => pair.Client!.IsClosing && pair.Server is { IsClosing: true }, 20_000));

        QuicCloseInfo clientClose = pair.Client!.CloseInfo!;
        Assert.Equal(QuicCloseOrigin.LocalTransportError, clientClose.Origin);
        Assert.True(QuicTransportErrors.IsCryptoError(clientClose.TransportError), clientClose.ToString());
        Assert.Equal(QuicCloseOrigin.PeerTransport, pair.Server!.CloseInfo!.Origin);
        Assert.Equal(clientClose.ErrorCode, pair.Server.CloseInfo.ErrorCode);
    }

    [Fact]
    public void Handshake_NoCommonApplicationProtocol_ServerClosesWithAlert120()
    {
        using var pair = new QuicTestPair(seed: 4);
        pair.ClientOptions = pair.ClientOptions with { Tls = pair.ClientOptions.Tls with { ApplicationProtocols = ["not-h3"] } };

        pair.Connect();
        Assert.True(pair.Network.RunUntil(() => pair.Client!.IsClosing, 20_000));

        Assert.Equal(QuicCloseOrigin.PeerTransport, pair.Client!.CloseInfo!.Origin);
        Assert.Equal(0x100UL + 120, pair.Client.CloseInfo.ErrorCode);
    }

    [Fact]
    public void Endpoint_UnknownVersion_AnswersWithVersionNegotiation()
    {
        using var pair = new QuicTestPair(seed: 5);
        byte[] probe = new byte[1200];
        probe[0] = 0xc0;
        probe[1] = 0x1a; probe[2] = 0x2a; probe[3] = 0x3a; probe[4] = 0x4a; // version 0x1a2a3a4a
        probe[5] = 8; // DCID length
        probe[14] = 4; // SCID length
        var replies = new List<byte[]>();
        pair.Network.OnSend = (from, datagram) =>
        {
            if (from.Equals(QuicTestPair.ServerAddress))
            {
                replies.Add(datagram);
            }
        };

        pair.Network.Inject(QuicTestPair.ClientAddress, QuicTestPair.ServerAddress, probe);
        pair.Network.RunUntil(() => replies.Count > 0, 10);

        byte[] reply = Assert.Single(replies);
        Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TryParse(reply, 0, out QuicPacketHeader header));
        Assert.Equal(QuicPacketType.VersionNegotiation, header.Type);
        Assert.True(QuicVersionNegotiation.Contains(header.SupportedVersions, QuicVersion.V1));
        Assert.Equal(0, pair.ServerEndpoint.ConnectionCount);
    }

    [Fact]
    public void Client_VersionNegotiationWithoutV1_ClosesWithVersionMismatch()
    {
        using var pair = new QuicTestPair(seed: 9);
        pair.ClientToServer = new NetworkConditions { Loss = 1.0 }; // the server never answers
        QuicConnectionCore client = pair.Connect();
        byte[] initial = [];
        pair.Network.OnSend = (from, datagram) => initial = initial.Length == 0 ? datagram : initial;
        pair.Network.RunFor(TimeSpan.FromMilliseconds(1));
        Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TryParse(initial, 0, out QuicPacketHeader header));

        byte[] negotiation = new byte[QuicVersionNegotiation.GetLength(header.SourceConnectionId.Length, header.DestinationConnectionId.Length, 1)];
        var writer = new SpanWriter(negotiation);
        QuicVersionNegotiation.Write(ref writer, header.SourceConnectionId, header.DestinationConnectionId, [0x1a2a3a4a]);
        pair.Network.Inject(QuicTestPair.ServerAddress, QuicTestPair.ClientAddress, negotiation);
        pair.Network.RunUntil(() => client.IsClosed, 10);

        Assert.Equal(QuicCloseOrigin.VersionMismatch, client.CloseInfo!.Origin);
    }

    [Fact]
    public void Server_BeforeAddressValidation_SendsAtMostThreeTimesWhatItReceived()
    {
        using var pair = new QuicTestPair(seed: 6);
        long clientBytes = 0;
        long serverBytes = 0;
        int clientDatagrams = 0;
        pair.Network.OnSend = (from, datagram) =>
        {
            if (from.Equals(QuicTestPair.ClientAddress))
            {
                clientDatagrams++;
                clientBytes += datagram.Length;
            }
            else
            {
                serverBytes += datagram.Length;
            }
        };

        // Only the client's first datagram gets through; everything else it sends is lost.
        pair.ClientToServer = new NetworkConditions { Loss = 0 };
        pair.Connect();
        pair.Network.RunUntil(() => clientDatagrams >= 1, 5);
        pair.ClientToServer = new NetworkConditions { Loss = 1.0 };
        long receivedByServer = clientBytes;
        pair.Network.RunUntil(() => false, 2_000);

        Assert.True(serverBytes > 0);
        Assert.True(serverBytes <= 3 * receivedByServer, $"server sent {serverBytes} bytes having received {receivedByServer}");
    }

    [Fact]
    public void Connection_Idle_ClosesBothSidesAfterTimeout()
    {
        var transport = new QuicTransportOptions { IdleTimeout = TimeSpan.FromSeconds(2) };
        using var pair = new QuicTestPair(seed: 7, transport);
        Assert.True(pair.ConnectAndHandshake());
        TimeSpan start = pair.Network.Now;

        Assert.True(pair.Network.RunUntil(() => pair.Client!.IsClosed && pair.Server!.IsClosed, 10_000));

        Assert.Equal(QuicCloseOrigin.IdleTimeout, pair.Client!.CloseInfo!.Origin);
        Assert.Equal(QuicCloseOrigin.IdleTimeout, pair.Server!.CloseInfo!.Origin);
        Assert.InRange(pair.Network.Now - start, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
        Assert.Equal(0, pair.ServerEndpoint.ConnectionCount);
    }

    [Fact]
    public void KeepAlive_IdleButHealthy_StaysOpenThenSilentPeerTimesOut()
    {
        var transport = new QuicTransportOptions { IdleTimeout = TimeSpan.FromSeconds(5), KeepAliveInterval = TimeSpan.FromSeconds(1) };
        using var pair = new QuicTestPair(seed: 10, transport);
        Assert.True(pair.ConnectAndHandshake());

        pair.Network.RunFor(TimeSpan.FromSeconds(30));
        Assert.Null(pair.Client!.CloseInfo);
        Assert.Null(pair.Server!.CloseInfo);

        pair.ClientToServer = new NetworkConditions { Loss = 1.0 };
        pair.ServerToClient = new NetworkConditions { Loss = 1.0 };
        TimeSpan cut = pair.Network.Now;
        Assert.True(pair.Network.RunUntil(() => pair.Client.IsClosed && pair.Server.IsClosed, 10_000));
        Assert.Equal(QuicCloseOrigin.IdleTimeout, pair.Client.CloseInfo!.Origin);
        Assert.Equal(QuicCloseOrigin.IdleTimeout, pair.Server.CloseInfo!.Origin);
        Assert.InRange(pair.Network.Now - cut, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(7));
    }

    [Fact]
    public void Close_ApplicationCode_PeerSeesCodeAndReasonThenBothForgetTheConnection()
    {
        using var pair = new QuicTestPair(seed: 8);
        Assert.True(pair.ConnectAndHandshake());

        pair.Client!.Close(42, "game over", pair.Network.Now);
        Assert.True(pair.Network.RunUntil(() => pair.Server!.IsClosing, 1_000));

        Assert.Equal(new QuicCloseInfo(QuicCloseOrigin.PeerApplication, 42, 0, "game over"), pair.Server!.CloseInfo);
        Assert.True(pair.Network.RunUntil(() => pair.ServerEndpoint.ConnectionCount == 0 && pair.ClientEndpoint.ConnectionCount == 0, 10_000));
    }
}
