using System.Diagnostics;
using System.Text;
using Engine.Cluster;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Engine.Tests.Cluster;

/// <summary>
/// <see cref="JetStreamRoomEventStore"/> against a real nats-server with JetStream (Debian package
/// nats-server), each test with its own server and store directory. No test asserts a tight time: a
/// store call retries until its timeout, and the deadlines here are generous for a loaded 2-core machine.
/// </summary>
public sealed class JetStreamRoomEventStoreTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(180);

    /// <summary>Store timeouts for tests that expect success: long, so a slow machine only makes them slower.</summary>
    private static readonly RoomEventStoreOptions Patient = new()
    {
        AppendTimeout = TimeSpan.FromSeconds(30),
        ReadTimeout = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task AppendAsync_SameNumberStoredByAnotherInstanceWithOtherContent_ConflictNotSilentSuccess()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection oldOwner = await ConnectAsync(kit, server);
        await using NatsConnection newOwner = await ConnectAsync(kit, server);
        await using var late = new JetStreamRoomEventStore(oldOwner, "engine", kit.LoggerFactory, Patient);
        await using var current = new JetStreamRoomEventStore(newOwner, "engine", kit.LoggerFactory, Patient);
        byte[] lateEvent = [(byte)Engine.Protocol.MessageType.ChatPosted, 1, 2, 3];
        byte[] currentEvent = [(byte)Engine.Protocol.MessageType.ChatPosted, 9, 9, 9];

        await late.AppendAsync("arena", 5, lateEvent, kit.Token); // the old owner's append in flight landed first
        await current.AppendAsync("arena", 5, lateEvent, kit.Token); // a retry of the same event: a duplicate, fine

        await Assert.ThrowsAsync<RoomEventConflictException>(async () => await current.AppendAsync("arena", 5, currentEvent, kit.Token));
        Assert.Equal(lateEvent, (await current.ReadAfterAsync("arena", 4, 1, kit.Token)).Events.Single().Message.ToArray());
    }

    [Fact]
    public async Task ReadAfterAsync_FiftyAppended_ReturnsAllInOrderThenAPageFromTheMiddle()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, Patient);
        await store.StartAsync(kit.Token);

        await AppendRangeAsync(store, "arena", 1, 50, kit.Token);

        (IReadOnlyList<StoredRoomEvent> all, bool allComplete) = await store.ReadAfterAsync("arena", 0, 100, kit.Token);
        Assert.True(allComplete, kit.Diagnostics());
        AssertEvents("arena", 1, 50, all);

        (IReadOnlyList<StoredRoomEvent> page, bool pageComplete) = await store.ReadAfterAsync("arena", 20, 10, kit.Token);
        Assert.True(pageComplete);
        AssertEvents("arena", 21, 30, page);

        (IReadOnlyList<StoredRoomEvent> tail, bool tailComplete) = await store.ReadAfterAsync("arena", 45, 10, kit.Token);
        Assert.True(tailComplete);
        AssertEvents("arena", 46, 50, tail);

        Assert.Equal(50, await store.LastSequenceAsync("arena", kit.Token));
        INatsJSStream stream = await new NatsJSContext(connection).GetStreamAsync(store.StreamName, cancellationToken: kit.Token);
        Assert.Equal(0, stream.Info.State.ConsumerCount); // each read deletes its consumer
        Assert.True(store.IsDurable);
        Assert.Equal("engine-events", store.StreamName);
        Assert.Equal("engine.events.arena", store.SubjectOf("arena"));
    }

    [Fact]
    public async Task ReadAfterAsync_NothingNewerOrAheadOrUnknownRoom_CompleteOnlyWhenTheReaderIsNotAhead()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, Patient);
        await AppendRangeAsync(store, "arena", 1, 5, kit.Token); // no StartAsync: the first call sets the stream up

        Assert.Equal(([], true), Unpack(await store.ReadAfterAsync("arena", 5, 10, kit.Token)));
        Assert.Equal(([], false), Unpack(await store.ReadAfterAsync("arena", 9, 10, kit.Token)));
        Assert.Equal(([], true), Unpack(await store.ReadAfterAsync("empty", 0, 10, kit.Token)));
        Assert.Equal(([], false), Unpack(await store.ReadAfterAsync("empty", 3, 10, kit.Token)));
        Assert.Equal(0, await store.LastSequenceAsync("empty", kit.Token));
    }

    [Fact]
    public async Task ReadAfterAsync_TwoRoomsInterleaved_DoNotMixAndEachHasItsOwnLastSequence()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, Patient);
        await store.StartAsync(kit.Token);

        long beta = 0;
        for (long alpha = 1; alpha <= 30; alpha++)
        {
            await store.AppendAsync("alpha", alpha, Payload("alpha", alpha), kit.Token);
            if (alpha % 3 == 0)
            {
                beta++;
                await store.AppendAsync("beta", beta, Payload("beta", beta), kit.Token);
            }
        }

        (IReadOnlyList<StoredRoomEvent> alphaEvents, bool alphaComplete) = await store.ReadAfterAsync("alpha", 0, 100, kit.Token);
        (IReadOnlyList<StoredRoomEvent> betaEvents, bool betaComplete) = await store.ReadAfterAsync("beta", 0, 100, kit.Token);
        Assert.True(alphaComplete && betaComplete);
        AssertEvents("alpha", 1, 30, alphaEvents);
        AssertEvents("beta", 1, 10, betaEvents);
        AssertEvents("beta", 4, 7, (await store.ReadAfterAsync("beta", 3, 4, kit.Token)).Events);
        Assert.Equal(30, await store.LastSequenceAsync("alpha", kit.Token));
        Assert.Equal(10, await store.LastSequenceAsync("beta", kit.Token));
    }

    [Fact]
    public async Task ReadAfterAsync_EveryStartingPointAmongInterleavedRooms_ReturnsExactlyTheNextEvents()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, Patient);
        await store.StartAsync(kit.Token);

        // Three rooms in an irregular interleaving, so the located start has other rooms' messages around it.
        string[] rooms = ["r0", "r1", "r2"];
        long[] last = new long[rooms.Length];
        var random = new Random(1234);
        for (int i = 0; i < 240; i++)
        {
            int r = random.Next(10) switch { < 6 => 0, < 9 => 1, _ => 2 };
            last[r]++;
            await store.AppendAsync(rooms[r], last[r], Payload(rooms[r], last[r]), kit.Token);
        }

        for (int r = 0; r < rooms.Length; r++)
        {
            for (long after = 0; after <= last[r]; after += r == 0 ? 3 : 1)
            {
                (IReadOnlyList<StoredRoomEvent> events, bool complete) = await store.ReadAfterAsync(rooms[r], after, 7, kit.Token);
                Assert.True(complete, $"{rooms[r]} after {after}");
                AssertEvents(rooms[r], after + 1, Math.Min(after + 7, last[r]), events);
            }

            Assert.Equal(last[r], await store.LastSequenceAsync(rooms[r], kit.Token));
        }
    }

    [Fact]
    public async Task AppendAsync_SameRoomAndSequenceTwice_StoredOnce()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, Patient);
        await store.StartAsync(kit.Token);

        await store.AppendAsync("arena", 1, Payload("arena", 1), kit.Token);
        await store.AppendAsync("arena", 1, Payload("arena", 1), kit.Token); // a duplicate of the same event is success
        await Assert.ThrowsAsync<RoomEventConflictException>(async () => await store.AppendAsync("arena", 1, Encoding.UTF8.GetBytes("!other bytes under the same number"), kit.Token));
        await store.AppendAsync("arena", 2, Payload("arena", 2), kit.Token);
        await store.AppendAsync("arena", 2, Payload("arena", 2), kit.Token);

        (IReadOnlyList<StoredRoomEvent> events, bool complete) = await store.ReadAfterAsync("arena", 0, 10, kit.Token);
        Assert.True(complete);
        AssertEvents("arena", 1, 2, events); // the first append's bytes
        INatsJSStream stream = await new NatsJSContext(connection).GetStreamAsync(store.StreamName, cancellationToken: kit.Token);
        Assert.Equal(2, stream.Info.State.Messages);
    }

    [Fact]
    public async Task ReadAfterAsync_RetentionRemovedOldEvents_IncompleteBelowTheOldestKeptAndCompleteFromIt()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, Patient with { MaxMessagesPerRoom = 10 });
        await store.StartAsync(kit.Token);

        for (long sequence = 1; sequence <= 25; sequence++)
        {
            await store.AppendAsync("arena", sequence, Payload("arena", sequence), kit.Token);
            await store.AppendAsync("other", sequence, Payload("other", sequence), kit.Token);
        }

        (IReadOnlyList<StoredRoomEvent> gapped, bool gappedComplete) = await store.ReadAfterAsync("arena", 5, 100, kit.Token);
        Assert.False(gappedComplete);
        AssertEvents("arena", 16, 25, gapped);

        (IReadOnlyList<StoredRoomEvent> fromOldest, bool fromOldestComplete) = await store.ReadAfterAsync("arena", 15, 100, kit.Token);
        Assert.True(fromOldestComplete);
        AssertEvents("arena", 16, 25, fromOldest);

        (IReadOnlyList<StoredRoomEvent> justBelow, bool justBelowComplete) = await store.ReadAfterAsync("arena", 14, 100, kit.Token);
        Assert.False(justBelowComplete);
        AssertEvents("arena", 16, 25, justBelow);

        AssertEvents("arena", 20, 22, (await store.ReadAfterAsync("arena", 19, 3, kit.Token)).Events);
        Assert.Equal(25, await store.LastSequenceAsync("arena", kit.Token));
    }

    [Fact]
    public async Task ReadAfterAsync_ServerHardKilledAndRestartedOnItsStore_EventsSurviveAndAppendsGoOn()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, Patient);
        await store.StartAsync(kit.Token);
        await AppendRangeAsync(store, "arena", 1, 20, kit.Token);
        await AppendRangeAsync(store, "lobby", 1, 3, kit.Token);

        await server.StopAsync(); // SIGKILL
        await server.StartAsync(kit.Token);

        // The connection reconnects and JetStream recovers its stream; the store retries meanwhile.
        (IReadOnlyList<StoredRoomEvent> events, bool complete) = await store.ReadAfterAsync("arena", 0, 100, kit.Token);
        Assert.True(complete, kit.Diagnostics());
        AssertEvents("arena", 1, 20, events);
        Assert.Equal(20, await store.LastSequenceAsync("arena", kit.Token));
        Assert.Equal(3, await store.LastSequenceAsync("lobby", kit.Token));

        await store.AppendAsync("arena", 20, Payload("arena", 20), kit.Token); // deduplicated across the restart
        await store.AppendAsync("arena", 21, Payload("arena", 21), kit.Token);
        (IReadOnlyList<StoredRoomEvent> after, bool afterComplete) = await store.ReadAfterAsync("arena", 19, 100, kit.Token);
        Assert.True(afterComplete);
        AssertEvents("arena", 20, 21, after);
        INatsJSStream stream = await new NatsJSContext(connection).GetStreamAsync(store.StreamName, cancellationToken: kit.Token);
        Assert.Equal(20 + 3 + 1, stream.Info.State.Messages); // the repeated 20 was dropped: dedupe state survived the kill
    }

    [Fact]
    public async Task AppendAsync_NatsDown_ThrowsClusterUnavailableAfterAboutTheTimeoutWithoutHanging()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        var timeout = TimeSpan.FromSeconds(1);
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, new RoomEventStoreOptions { AppendTimeout = timeout, ReadTimeout = timeout });
        await RetryUntilUpAsync(() => store.StartAsync(kit.Token), kit);
        await RetryUntilUpAsync(async () => await store.AppendAsync("arena", 1, Payload("arena", 1), kit.Token), kit);

        await server.StopAsync();

        var elapsed = Stopwatch.StartNew();
        var appendFailure = await Assert.ThrowsAsync<ClusterUnavailableException>(async () => await store.AppendAsync("arena", 2, Payload("arena", 2), kit.Token));
        TimeSpan appendTook = elapsed.Elapsed;
        elapsed.Restart();
        await Assert.ThrowsAsync<ClusterUnavailableException>(async () => await store.ReadAfterAsync("arena", 0, 10, kit.Token));
        await Assert.ThrowsAsync<ClusterUnavailableException>(async () => await store.LastSequenceAsync("arena", kit.Token));
        TimeSpan readsTook = elapsed.Elapsed;

        // "About the timeout": generous bounds, the point is that nothing waits for NATS to return.
        Assert.True(appendTook < timeout + TimeSpan.FromSeconds(9), $"AppendAsync took {appendTook}. {appendFailure.Message}");
        Assert.True(readsTook < (2 * timeout) + TimeSpan.FromSeconds(9), $"the reads took {readsTook}");
        Assert.Contains("arena", appendFailure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_NoServerEverListening_ThrowsClusterUnavailable()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        NatsServerFixture nothing = NatsServerFixture.NotStarted(NatsServerFixture.FreeTcpPort());
        await using (nothing)
        {
            await using var connection = new NatsConnection(NatsOpts.Default with { Url = nothing.Url, LoggerFactory = kit.LoggerFactory });
            var timeout = TimeSpan.FromSeconds(1);
            await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, new RoomEventStoreOptions { AppendTimeout = timeout, ReadTimeout = timeout });

            var elapsed = Stopwatch.StartNew();
            await Assert.ThrowsAsync<ClusterUnavailableException>(() => store.StartAsync(kit.Token));
            await Assert.ThrowsAsync<ClusterUnavailableException>(async () => await store.AppendAsync("arena", 1, Payload("arena", 1), kit.Token));
            Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(20), $"took {elapsed.Elapsed}");
        }
    }

    [Fact]
    public async Task AppendAsync_TwoClusterNamesOnOneServer_KeepSeparateStreams()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        await using var alpha = new JetStreamRoomEventStore(connection, "alpha", kit.LoggerFactory, Patient);
        await using var beta = new JetStreamRoomEventStore(connection, "beta", kit.LoggerFactory, Patient);
        await alpha.StartAsync(kit.Token);
        await beta.StartAsync(kit.Token);

        await alpha.AppendAsync("arena", 1, Encoding.UTF8.GetBytes("!alpha-1"), kit.Token);
        await alpha.AppendAsync("arena", 2, Encoding.UTF8.GetBytes("!alpha-2"), kit.Token);
        await beta.AppendAsync("arena", 1, Encoding.UTF8.GetBytes("!beta-1"), kit.Token); // same message id, other stream: not a duplicate

        (IReadOnlyList<StoredRoomEvent> alphaEvents, _) = await alpha.ReadAfterAsync("arena", 0, 10, kit.Token);
        (IReadOnlyList<StoredRoomEvent> betaEvents, _) = await beta.ReadAfterAsync("arena", 0, 10, kit.Token);
        Assert.Equal(["!alpha-1", "!alpha-2"], alphaEvents.Select(e => Encoding.UTF8.GetString(e.Message.Span)));
        Assert.Equal(["!beta-1"], betaEvents.Select(e => Encoding.UTF8.GetString(e.Message.Span)));
        Assert.Equal(2, await alpha.LastSequenceAsync("arena", kit.Token));
        Assert.Equal(1, await beta.LastSequenceAsync("arena", kit.Token));
        Assert.Equal(["alpha-events", "beta-events"], [alpha.StreamName, beta.StreamName]);
    }

    [Fact]
    public async Task StartAsync_CalledAgainWithOtherRetention_UpdatesTheStreamAndKeepsItsEvents()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        await using (var first = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, Patient))
        {
            await first.StartAsync(kit.Token);
            await first.StartAsync(kit.Token);
            await AppendRangeAsync(first, "arena", 1, 3, kit.Token);
        }

        await using var second = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, Patient with { MaxMessagesPerRoom = 50, MaxAge = TimeSpan.FromHours(1) });
        await second.StartAsync(kit.Token);

        INatsJSStream stream = await new NatsJSContext(connection).GetStreamAsync(second.StreamName, cancellationToken: kit.Token);
        Assert.Equal(50, stream.Info.Config.MaxMsgsPerSubject);
        Assert.Equal(TimeSpan.FromHours(1), stream.Info.Config.MaxAge);
        Assert.Equal(["engine.events.>"], stream.Info.Config.Subjects!);
        Assert.Equal(3, await second.LastSequenceAsync("arena", kit.Token));
    }

    [Fact]
    public async Task StartAsync_ThreeReplicasOnASingleServer_FailsAtOnceWithTheServersReason()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, Patient with { Replicas = 3 });

        var elapsed = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<ClusterUnavailableException>(() => store.StartAsync(kit.Token));

        Assert.Contains("replicas", refused.Message, StringComparison.Ordinal);
        Assert.True(elapsed.Elapsed < Patient.ReadTimeout / 2, $"A refusal is not retried until the timeout (took {elapsed.Elapsed}).");
    }

    [Fact]
    public async Task AppendAsync_MessageOverTheServersMaxPayload_FailsAtOnceAndTheStoreGoesOn()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await StartServerAsync(kit);
        await using NatsConnection connection = await ConnectAsync(kit, server);
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory, Patient);
        await store.StartAsync(kit.Token);
        byte[] huge = new byte[connection.ServerInfo!.MaxPayload + 1];
        huge[0] = 0x21;

        var elapsed = Stopwatch.StartNew();
        await Assert.ThrowsAsync<ClusterUnavailableException>(async () => await store.AppendAsync("arena", 1, huge, kit.Token));
        Assert.True(elapsed.Elapsed < Patient.AppendTimeout / 2, $"A refusal is not retried until the timeout (took {elapsed.Elapsed}).");

        await store.AppendAsync("arena", 1, Payload("arena", 1), kit.Token);
        AssertEvents("arena", 1, 1, (await store.ReadAfterAsync("arena", 0, 10, kit.Token)).Events);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("a*")]
    [InlineData("a>")]
    [InlineData("a b")]
    [InlineData("ä")]
    public async Task AppendAsync_InvalidRoomName_ThrowsArgumentException(string room)
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = "nats://127.0.0.1:1" });
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory);
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.AppendAsync(room, 1, Payload("x", 1), kit.Token));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.ReadAfterAsync(room, 0, 1, kit.Token));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.LastSequenceAsync(room, kit.Token));
    }

    [Fact]
    public async Task AppendAsync_BadSequenceOrEmptyMessage_ThrowsBeforeAnyIo()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = "nats://127.0.0.1:1" });
        await using var store = new JetStreamRoomEventStore(connection, "engine", kit.LoggerFactory);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.AppendAsync("arena", 0, Payload("arena", 0), kit.Token));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.AppendAsync("arena", 1, ReadOnlyMemory<byte>.Empty, kit.Token));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.ReadAfterAsync("arena", -1, 1, kit.Token));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.ReadAfterAsync("arena", 0, 0, kit.Token));
        Assert.Throws<ArgumentException>(() => new JetStreamRoomEventStore(connection, "a.b", kit.LoggerFactory));
        Assert.True(JetStreamRoomEventStore.IsValidRoom(new string('x', 64)));
        Assert.False(JetStreamRoomEventStore.IsValidRoom(new string('x', 65)));
    }

    [Fact]
    public void Assemble_OutOfOrderDuplicatesAndAGap_SortsDropsRepeatsAndStopsAtTheGap()
    {
        List<StoredRoomEvent> fetched = [Event(4), Event(6), Event(5), Event(5), Event(7), Event(9), Event(10)];
        (IReadOnlyList<StoredRoomEvent> events, bool complete) = JetStreamRoomEventStore.Assemble(3, fetched);
        Assert.True(complete);
        Assert.Equal([4L, 5L, 6L, 7L], events.Select(e => e.Sequence));

        (IReadOnlyList<StoredRoomEvent> late, bool lateComplete) = JetStreamRoomEventStore.Assemble(1, [Event(3), Event(4)]);
        Assert.False(lateComplete);
        Assert.Equal([3L, 4L], late.Select(e => e.Sequence));

        Assert.False(JetStreamRoomEventStore.Assemble(1, []).Complete);

        static StoredRoomEvent Event(long sequence) => new(sequence, new byte[] { 1 });
    }

    [Fact]
    public void SequenceFromRawHeaders_JetStreamHeaderBlock_FindsTheEngineSequence()
    {
        static string Block(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text));
        Assert.Equal(42, JetStreamRoomEventStore.SequenceFromRawHeaders(Block("NATS/1.0\r\nNats-Msg-Id: arena:42\r\nEngine-Sequence: 42\r\n\r\n")));
        Assert.Equal(7, JetStreamRoomEventStore.SequenceFromRawHeaders(Block("NATS/1.0\r\nengine-sequence:7\r\n\r\n")));
        Assert.Null(JetStreamRoomEventStore.SequenceFromRawHeaders(Block("NATS/1.0\r\nNats-Msg-Id: arena:42\r\n\r\n")));
        Assert.Null(JetStreamRoomEventStore.SequenceFromRawHeaders(Block("NATS/1.0\r\nEngine-Sequence: -3\r\n\r\n")));
        Assert.Null(JetStreamRoomEventStore.SequenceFromRawHeaders("not base64!"));
        Assert.Null(JetStreamRoomEventStore.SequenceFromRawHeaders(null));
    }

    /// <summary>A wire-message stand-in: a type byte, then the room and sequence, so a mix-up shows.</summary>
    private static byte[] Payload(string room, long sequence) => [0x21, .. Encoding.UTF8.GetBytes($"{room}#{sequence}")];

    private static void AssertEvents(string room, long first, long last, IReadOnlyList<StoredRoomEvent> events)
    {
        Assert.Equal(
            Enumerable.Range(0, (int)(last - first + 1)).Select(i => (first + i, Convert.ToHexString(Payload(room, first + i)))),
            events.Select(e => (e.Sequence, Convert.ToHexString(e.Message.Span))));
    }

    private static (long[] Sequences, bool Complete) Unpack((IReadOnlyList<StoredRoomEvent> Events, bool Complete) read) =>
        ([.. read.Events.Select(e => e.Sequence)], read.Complete);

    private static async Task AppendRangeAsync(JetStreamRoomEventStore store, string room, long first, long last, CancellationToken cancellationToken)
    {
        for (long sequence = first; sequence <= last; sequence++)
        {
            await store.AppendAsync(room, sequence, Payload(room, sequence), cancellationToken);
        }
    }

    private static async Task<NatsServerFixture> StartServerAsync(ClusterTestKit kit)
    {
        NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        return server;
    }

    private static async Task<NatsConnection> ConnectAsync(ClusterTestKit kit, NatsServerFixture server)
    {
        var connection = new NatsConnection(NatsOpts.Default with
        {
            Url = server.Url,
            LoggerFactory = kit.LoggerFactory,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
            ReconnectWaitMax = TimeSpan.FromSeconds(1),
            MaxReconnectRetry = -1,
        });
        await connection.ConnectAsync();
        return connection;
    }

    /// <summary>With short store timeouts, the set-up steps are retried until the test's own deadline (a slow machine is not a failure).</summary>
    private static async Task RetryUntilUpAsync(Func<Task> action, ClusterTestKit kit)
    {
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await action();
                return;
            }
            catch (ClusterUnavailableException) when (elapsed.Elapsed < ClusterTestKit.ConditionDeadline)
            {
                await Task.Delay(100, kit.Token);
            }
        }
    }
}
