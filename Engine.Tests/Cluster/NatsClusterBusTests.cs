using System.Text;
using Engine.Cluster;
using NATS.Client.Core;
using static Engine.Tests.Cluster.ClusterTestKit;

namespace Engine.Tests.Cluster;

/// <summary>
/// <see cref="NatsClusterBus"/> against a real nats-server (Debian package nats-server), each test
/// with its own server. NATS core is at-most-once: a test learns that messages flow by probing until
/// one arrives, and proves that something did NOT arrive by a later message from the same publisher
/// on the same subscription (NATS keeps one publisher's order per subscription).
/// </summary>
public sealed class NatsClusterBusTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task PublishSubscribe_TwoBusesOnOneServer_ExchangeBothWaysWithSenderAndUnprefixedSubject()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus a = await kit.ConnectAsync("a", Options(server.Url));
        await using NatsClusterBus b = await kit.ConnectAsync("b", Options(server.Url));
        Assert.True(a.IsConnected && b.IsConnected && a.IsClustered);
        Assert.NotEqual(a.InstanceId, b.InstanceId);
        var inboxA = new Inbox();
        var inboxB = new Inbox();
        await using IAsyncDisposable subA = a.Subscribe("doc.arena", inboxA.Handle);
        await using IAsyncDisposable subB = b.Subscribe("doc.arena", inboxB.Handle);
        await kit.ProbeUntilReceivedAsync(a, "doc.arena", inboxB, "a to b");
        await kit.ProbeUntilReceivedAsync(b, "doc.arena", inboxA, "b to a");

        Assert.True(a.Publish("doc.arena", "from-a"u8));
        Assert.True(b.Publish("doc.arena", "from-b"u8));
        await kit.WaitUntilAsync(() => inboxA.Has("from-a") && inboxA.Has("from-b") && inboxB.Has("from-a") && inboxB.Has("from-b"), "both messages at both buses");

        Assert.Equal(new Inbox.Message("doc.arena", "from-a", a.InstanceId), inboxB.Single("from-a"));
        Assert.Equal(new Inbox.Message("doc.arena", "from-b", b.InstanceId), inboxA.Single("from-b"));
        Assert.Equal(new Inbox.Message("doc.arena", "from-a", a.InstanceId), inboxA.Single("from-a")); // its own, too
    }

    [Fact]
    public async Task Subscribe_Wildcards_MatchLikeNatsAndGiveTheConcreteSubject()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus a = await kit.ConnectAsync("a", Options(server.Url));
        await using NatsClusterBus b = await kit.ConnectAsync("b", Options(server.Url));
        var star = new Inbox();
        var tail = new Inbox();
        await using IAsyncDisposable starSub = b.Subscribe("doc.*", star.Handle);
        await using IAsyncDisposable tailSub = b.Subscribe("room.>", tail.Handle);
        await kit.ProbeUntilReceivedAsync(a, "doc.probe", star, "doc.*");
        await kit.ProbeUntilReceivedAsync(a, "room.probe", tail, "room.>");

        a.Publish("doc.one", "doc-one"u8);
        a.Publish("doc.one.two", "doc-one-two"u8); // '*' is one token only
        a.Publish("room", "room-alone"u8); // '>' needs at least one token
        a.Publish("room.a.b", "room-a-b"u8);
        a.Publish("doc.end", "doc-end"u8);
        a.Publish("room.end", "room-end"u8);
        await kit.WaitUntilAsync(() => star.Has("doc-end") && tail.Has("room-end"), "the closing messages");

        Assert.Equal("doc.one", star.Single("doc-one").Subject);
        Assert.Equal("room.a.b", tail.Single("room-a-b").Subject);
        Assert.False(star.Has("doc-one-two"), star.ToString());
        Assert.False(tail.Has("room-alone"), tail.ToString());
    }

    [Fact]
    public async Task Publish_DifferentClusterNamesOnOneServer_DoNotSeeEachOther()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus alpha = await kit.ConnectAsync("alpha", Options(server.Url, "alpha"));
        await using NatsClusterBus beta = await kit.ConnectAsync("beta", Options(server.Url, "beta"));
        await using var raw = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        await raw.ConnectAsync();
        var wire = new List<(string Subject, string? Instance)>();
        await using INatsSub<byte[]> rawSub = await raw.SubscribeCoreAsync<byte[]>(">", cancellationToken: kit.Token);
        Task rawReader = Task.Run(async () =>
        {
            await foreach (NatsMsg<byte[]> message in rawSub.Msgs.ReadAllAsync(kit.Token))
            {
                lock (wire)
                {
                    wire.Add((message.Subject, message.Headers?[NatsClusterBus.InstanceHeader].ToString()));
                }
            }
        });
        var alphaInbox = new Inbox();
        var betaInbox = new Inbox();
        await using IAsyncDisposable alphaSub = alpha.Subscribe("doc.>", alphaInbox.Handle);
        await using IAsyncDisposable betaSub = beta.Subscribe("doc.>", betaInbox.Handle);
        await kit.ProbeUntilReceivedAsync(alpha, "doc.probe", alphaInbox, "alpha to itself");
        await kit.ProbeUntilReceivedAsync(beta, "doc.probe", betaInbox, "beta to itself");

        beta.Publish("doc.secret", "from-beta"u8);
        await kit.WaitUntilAsync(() => betaInbox.Has("from-beta"), "beta's message back at beta");

        // Published after the server routed beta's message: had it matched alpha's subscription, it would be ahead of this.
        alpha.Publish("doc.sentinel", "alpha-sentinel"u8);
        await kit.WaitUntilAsync(() => alphaInbox.Has("alpha-sentinel"), "alpha's sentinel");

        Assert.False(alphaInbox.Has("from-beta"), alphaInbox.ToString());
        Assert.DoesNotContain(betaInbox.Messages, m => m.Payload == "alpha-sentinel");
        await kit.WaitUntilAsync(() => { lock (wire) { return wire.Contains(("alpha.doc.sentinel", alpha.InstanceId)); } }, "alpha's sentinel on the wire as alpha.doc.sentinel with its Engine-Instance header");
        lock (wire)
        {
            Assert.Contains(("beta.doc.secret", beta.InstanceId), wire);
        }

        await rawSub.UnsubscribeAsync();
        await rawReader.WaitAsync(kit.Token); // the channel completes on unsubscribe
    }

    [Fact]
    public async Task Publish_ServerCrashedAndRestarted_NeverBlocksStaysBoundedAndFlowsAgain()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        ClusterOptions small = Options(server.Url);
        small.OutboundQueueCapacity = 16;
        await using NatsClusterBus a = await kit.ConnectAsync("a", small);
        await using NatsClusterBus b = await kit.ConnectAsync("b", Options(server.Url));
        var changes = new List<bool>();
        a.ConnectionChanged += connected =>
        {
            lock (changes)
            {
                changes.Add(connected);
            }
        };
        var inboxA = new Inbox();
        var inboxB = new Inbox();
        await using IAsyncDisposable subA = a.Subscribe("doc.>", inboxA.Handle);
        await using IAsyncDisposable subB = b.Subscribe("doc.>", inboxB.Handle);
        await kit.ProbeUntilReceivedAsync(a, "doc.before", inboxB, "a to b before the crash");

        await server.StopAsync();
        await kit.WaitUntilAsync(() => !a.IsConnected && !b.IsConnected, "both buses see NATS gone");
        byte[] payload = new byte[100];
        for (int i = 0; i < 1_000; i++)
        {
            Assert.True(a.Publish("doc.outage", payload)); // queued (or an older one dropped): returns at once
        }

        Assert.True(a.OutboundDropped > 0, $"1,000 publishes into a queue of 16 while NATS is down dropped none.{Environment.NewLine}{kit.Diagnostics()}");
        Assert.True(a.OutboundDropped <= 1_000);

        await server.StartAsync(kit.Token);
        await kit.WaitUntilAsync(() => a.IsConnected && b.IsConnected, "both buses reconnect");
        await kit.ProbeUntilReceivedAsync(a, "doc.after", inboxB, "a to b after the restart");
        await kit.ProbeUntilReceivedAsync(b, "doc.after", inboxA, "b to a after the restart");
        lock (changes)
        {
            Assert.Equal([false, true], changes);
        }
    }

    [Fact]
    public async Task Partition_OneInstanceCutAndRestored_ItAloneDisconnectsThenMessagesFlowBothWays()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using var proxy = new TcpCutProxy(server.Port);
        await using NatsClusterBus a = await kit.ConnectAsync("a (behind the proxy)", Options(proxy.Url));
        await using NatsClusterBus b = await kit.ConnectAsync("b", Options(server.Url));
        var changesA = new List<bool>();
        var changesB = new List<bool>();
        a.ConnectionChanged += connected => { lock (changesA) { changesA.Add(connected); } };
        b.ConnectionChanged += connected => { lock (changesB) { changesB.Add(connected); } };
        var inboxA = new Inbox();
        var inboxB = new Inbox();
        await using IAsyncDisposable subA = a.Subscribe("doc.>", inboxA.Handle);
        await using IAsyncDisposable subB = b.Subscribe("doc.>", inboxB.Handle);
        await kit.ProbeUntilReceivedAsync(a, "doc.before", inboxB, "a to b before the cut");
        await kit.ProbeUntilReceivedAsync(b, "doc.before", inboxA, "b to a before the cut");

        proxy.Cut();
        await kit.WaitUntilAsync(() => !a.IsConnected, "a reports the partition");
        Assert.True(a.Publish("doc.during", "during-cut"u8)); // never blocks

        proxy.Restore();
        await kit.WaitUntilAsync(() => a.IsConnected, "a reconnects through the proxy");
        await kit.ProbeUntilReceivedAsync(a, "doc.after", inboxB, "a to b after the partition");
        await kit.ProbeUntilReceivedAsync(b, "doc.after", inboxA, "b to a after the partition");
        Assert.True(b.IsConnected);
        lock (changesA)
        {
            Assert.Equal([false, true], changesA);
        }

        lock (changesB)
        {
            Assert.Empty(changesB);
        }
    }

    [Fact]
    public async Task Subscribe_HandlerThrows_CountedAndTheSubscriptionKeepsDelivering()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus a = await kit.ConnectAsync("a", Options(server.Url));
        var inbox = new Inbox();
        await using IAsyncDisposable sub = a.Subscribe("doc.x", message =>
        {
            inbox.Handle(message);
            if (message.Payload.Span.SequenceEqual("boom"u8))
            {
                throw new InvalidOperationException("handler failure (expected by the test)");
            }
        });
        await kit.ProbeUntilReceivedAsync(a, "doc.x", inbox, "a to itself");
        Assert.Equal(0, a.HandlerErrors);

        a.Publish("doc.x", "boom"u8);
        a.Publish("doc.x", "after"u8);
        await kit.WaitUntilAsync(() => inbox.Has("after"), "the message after the throw");

        Assert.Equal(1, a.HandlerErrors);
        Assert.True(inbox.Has("boom"));
    }

    [Fact]
    public async Task Publish_PayloadOverMaxPayloadBytes_RefusedAndCounted()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        ClusterOptions options = Options(server.Url);
        options.MaxPayloadBytes = 1024;
        await using NatsClusterBus a = await kit.ConnectAsync("a", options);
        await using NatsClusterBus defaults = await kit.ConnectAsync("defaults", Options(server.Url));
        var inbox = new Inbox();
        await using IAsyncDisposable sub = a.Subscribe("doc.big", inbox.Handle);
        await kit.ProbeUntilReceivedAsync(a, "doc.big", inbox, "a to itself");

        Assert.False(a.Publish("doc.big", new byte[1025]));
        Assert.Equal(1, a.Refused);
        byte[] exactly = Encoding.UTF8.GetBytes(new string('x', 1024));
        Assert.True(a.Publish("doc.big", exactly));
        await kit.WaitUntilAsync(() => inbox.Messages.Any(m => m.Payload.Length == 1024), "the 1,024-byte message");
        Assert.Equal(1, a.Refused);

        // The server's max_payload (1 MiB by default) caps the 1 MiB default, leaving room for headers.
        Assert.True(defaults.MaxPayloadBytes < 1024 * 1024);
        Assert.False(defaults.Publish("doc.big", new byte[1024 * 1024]));
        Assert.Equal(1, defaults.Refused);
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_ReturnsDisconnectedBusThatConnectsAndSubscribesWhenTheServerAppears()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = NatsServerFixture.NotStarted(NatsServerFixture.FreeTcpPort());
        kit.Describe(server);
        await using NatsClusterBus a = await kit.ConnectAsync("a", Options(server.Url));
        var changes = new List<bool>();
        a.ConnectionChanged += connected => { lock (changes) { changes.Add(connected); } };

        Assert.False(a.IsConnected);
        Assert.True(a.Publish("doc.early", "early"u8)); // queued while NATS is down
        var inbox = new Inbox();
        await using IAsyncDisposable sub = a.Subscribe("doc.>", inbox.Handle); // before any connection

        await server.StartAsync(kit.Token);
        await kit.WaitUntilAsync(() => a.IsConnected, "the bus connects once the server is up");
        await kit.ProbeUntilReceivedAsync(a, "doc.late", inbox, "the subscription made while disconnected delivers");
        lock (changes)
        {
            Assert.Equal([true], changes);
        }
    }

    [Fact]
    public async Task Subscribe_Disposed_HandlerNotCalledAgain()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus a = await kit.ConnectAsync("a", Options(server.Url));
        var disposed = new Inbox();
        var kept = new Inbox();
        IAsyncDisposable sub = a.Subscribe("doc.a", disposed.Handle);
        await using IAsyncDisposable keptSub = a.Subscribe("doc.>", kept.Handle);
        await kit.ProbeUntilReceivedAsync(a, "doc.a", disposed, "the subscription to dispose");
        await kit.ProbeUntilReceivedAsync(a, "doc.b", kept, "the kept subscription");

        await sub.DisposeAsync();
        int before = disposed.Count;
        a.Publish("doc.a", "after-dispose"u8);
        await kit.WaitUntilAsync(() => kept.Has("after-dispose"), "the kept subscription gets the message");

        Assert.Equal(before, disposed.Count);
        await sub.DisposeAsync(); // twice is fine
    }

    [Fact]
    public async Task Subscribe_HandlerBehindWithSmallInboundQueue_DropsNewestCountsAndRecovers()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        ClusterOptions options = Options(server.Url);
        options.InboundQueueCapacity = 4;
        await using NatsClusterBus a = await kit.ConnectAsync("a", options);
        var inbox = new Inbox();
        using var gate = new ManualResetEventSlim(initialState: true);
        await using IAsyncDisposable sub = a.Subscribe("doc.slow", message =>
        {
            inbox.Handle(message);
            gate.Wait(ConditionDeadline); // a handler far behind (the contract says handlers must not block; this one does on purpose)
        });
        await kit.ProbeUntilReceivedAsync(a, "doc.slow", inbox, "a to itself");

        gate.Reset();
        for (int i = 0; i < 200; i++)
        {
            a.Publish("doc.slow", Encoding.UTF8.GetBytes("burst-" + i));
        }

        await kit.WaitUntilAsync(() => a.InboundDropped > 0, "drops counted while the handler is stuck");
        gate.Set();
        await kit.ProbeUntilReceivedAsync(a, "doc.slow", inbox, "delivery after the handler caught up");
        Assert.True(inbox.Messages.Count(m => m.Payload.StartsWith("burst-", StringComparison.Ordinal)) < 200);
        Assert.Equal(0, a.HandlerErrors);
    }

    [Fact]
    public async Task Subscribe_HandlerDisposesItsOwnSubscription_DoesNotDeadlock()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using NatsClusterBus a = await kit.ConnectAsync("a", Options(server.Url));
        var inbox = new Inbox();
        IAsyncDisposable? self = null;
        bool? disposedInTime = null;
        self = a.Subscribe("doc.self", message =>
        {
            inbox.Handle(message);
            if (disposedInTime is null)
            {
                // Blocking on the disposal from inside the handler is the worst case.
#pragma warning disable xUnit1031
                disposedInTime = self!.DisposeAsync().AsTask().Wait(ConditionDeadline);
#pragma warning restore xUnit1031
            }
        });
        await kit.ProbeUntilReceivedAsync(a, "doc.self", inbox, "the self-disposing subscription");
        await kit.WaitUntilAsync(() => disposedInTime is not null, "the handler returns");

        Assert.True(disposedInTime);
        Assert.Equal(0, a.HandlerErrors);
    }

    [Fact]
    public async Task ClusterBusCreate_WithUrl_ReturnsNatsBusThatConnectsInTheBackground()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using IClusterBus bus = ClusterBus.Create(Options(server.Url), kit.LoggerFactory);

        NatsClusterBus nats = Assert.IsType<NatsClusterBus>(bus);
        kit.Describe("bus", nats);
        Assert.True(bus.IsClustered);
        await kit.WaitUntilAsync(() => bus.IsConnected, "the bus connects");
        var inbox = new Inbox();
        await using IAsyncDisposable sub = bus.Subscribe("doc.>", inbox.Handle);
        await kit.ProbeUntilReceivedAsync(bus, "doc.x", inbox, "the bus to itself");
    }
}
