using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Engine.Cluster;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Engine.Tests.Cluster;

/// <summary>
/// <see cref="NatsRoomLeases"/> against a real nats-server (Debian package nats-server), each test with
/// its own server and a short lease time (2 s, renewed every 667 ms). Waits are "eventually, before a
/// generous deadline"; the only timing asserted from below is what the server guarantees whatever the
/// load (a key cannot expire before the bucket's max age after its last write).
/// </summary>
public sealed class NatsRoomLeasesTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(2);
    private static readonly RoomLeaseOptions Fast = new() { LeaseTime = LeaseTime };

    /// <summary>How long a take-over or a loss may take on a loaded machine.</summary>
    private static readonly TimeSpan TakeOverDeadline = (4 * LeaseTime) + TimeSpan.FromSeconds(10);

    [Fact]
    public void RoomLeaseOptions_Defaults_SixSecondLeaseRenewedEveryTwo()
    {
        var options = new RoomLeaseOptions();
        options.Validate();
        Assert.Equal(TimeSpan.FromSeconds(6), options.LeaseTime);
        Assert.Equal(TimeSpan.FromSeconds(2), options.RenewInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), (options with { LeaseTime = TimeSpan.FromSeconds(3) }).RenewInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), options.OperationTimeout);
    }

    [Fact]
    public void RoomLeaseOptions_RenewNotShorterThanLease_ThrowsNamingIt()
    {
        var options = new RoomLeaseOptions { LeaseTime = TimeSpan.FromSeconds(2), RenewInterval = TimeSpan.FromSeconds(2) };
        ArgumentException exception = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("RenewInterval", exception.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(new RoomLeaseOptions { LeaseTime = TimeSpan.FromMilliseconds(10) }.Validate);
        Assert.Throws<ArgumentException>(new RoomLeaseOptions { MaxHeldLeases = 0 }.Validate);
    }

    [Fact]
    public async Task AcquireOrFindOwnerAsync_InvalidRoomName_ThrowsArgumentException()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = "nats://127.0.0.1:1" }); // never connected
        await using var leases = new NatsRoomLeases(connection, "engine", "a", TimeProvider.System, kit.LoggerFactory, Fast);
        await Assert.ThrowsAsync<ArgumentException>(async () => await leases.AcquireOrFindOwnerAsync("no.dots", kit.Token));
        await Assert.ThrowsAsync<ArgumentException>(async () => await leases.AcquireOrFindOwnerAsync(new string('r', 65), kit.Token));
        await Assert.ThrowsAsync<ArgumentException>(async () => await leases.ReleaseAsync(string.Empty, kit.Token));
        Assert.Throws<ArgumentException>(() => new NatsRoomLeases(connection, "bad.name", "a", TimeProvider.System, kit.LoggerFactory));
    }

    [Fact]
    public async Task AcquireOrFindOwnerAsync_FirstInstanceThenSecond_FirstOwnsAndSecondSeesIt()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a");
        await using Instance b = await Instance.StartAsync(kit, server.Url, "b");

        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        Assert.Equal(a.Id, await b.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        Assert.True(a.Leases.Holds("arena"));
        Assert.False(b.Leases.Holds("arena"));
        Assert.Equal("engine-rooms", a.Leases.Bucket);
        Assert.Equal(LeaseTime, a.Leases.LeaseTime);
        INatsKVStore kv = await a.KvAsync(kit.Token);

        NatsKVEntry<byte[]> entry = await kv.GetEntryAsync<byte[]>("arena", serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: kit.Token);
        Assert.Equal(a.Id, Encoding.UTF8.GetString(entry.Value!)); // the value is the owner's id, UTF-8
        NatsKVStatus status = await kv.GetStatusAsync(kit.Token);
        Assert.Equal(LeaseTime, status.Info.Config.MaxAge);
        Assert.Equal(1, status.Info.Config.MaxMsgsPerSubject); // history 1
    }

    [Fact]
    public async Task AcquireOrFindOwnerAsync_ThreeInstancesRaceForTenRooms_ExactlyOneOwnerPerRoomAndAllAgree()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a");
        await using Instance b = await Instance.StartAsync(kit, server.Url, "b");
        await using Instance c = await Instance.StartAsync(kit, server.Url, "c");
        Instance[] instances = [a, b, c];

        var winners = new Dictionary<string, int>();
        for (int i = 0; i < 10; i++)
        {
            string room = "race-" + i;

            // The first round also races the creation of the bucket.
            string[] answers = await Task.WhenAll(instances.Select(x => x.Leases.AcquireOrFindOwnerAsync(room, kit.Token).AsTask()));
            Assert.All(answers, answer => Assert.Equal(answers[0], answer));
            Instance owner = Assert.Single(instances, x => x.Leases.Holds(room));
            Assert.Equal(owner.Id, answers[0]);
            winners[owner.Id] = winners.GetValueOrDefault(owner.Id) + 1;
        }

        Assert.Equal(10, winners.Values.Sum());
        Assert.Equal(10, instances.Sum(x => x.Leases.HeldCount));
    }

    [Fact]
    public async Task Renewal_OwnerAlive_StillOwnerAfterThreeLeaseTimes()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a");
        await using Instance b = await Instance.StartAsync(kit, server.Url, "b");
        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        INatsKVStore kv = await a.KvAsync(kit.Token);
        ulong firstRevision = (await kv.GetEntryAsync<byte[]>("arena", cancellationToken: kit.Token)).Revision;

        var elapsed = Stopwatch.StartNew();
        while (elapsed.Elapsed < 3 * LeaseTime)
        {
            Assert.Equal(a.Id, await b.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
            await Task.Delay(250, kit.Token);
        }

        Assert.True(a.Leases.Holds("arena"));
        Assert.Empty(a.Lost);
        NatsKVEntry<byte[]> entry = await kv.GetEntryAsync<byte[]>("arena", serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: kit.Token);
        Assert.True(entry.Revision > firstRevision, $"No renewal was written in {elapsed.Elapsed}.");
        Assert.Equal(a.Id, Encoding.UTF8.GetString(entry.Value!));
    }

    /// <summary>
    /// What the leases rest on, measured on the raw bucket: the max age counts from each write of a key
    /// (every revision is a new message), so a key rewritten every half lease time lives on, and one left
    /// alone disappears no sooner than the max age after its last write (and not much later).
    /// </summary>
    [Fact]
    public async Task BucketMaxAge_KeyRewrittenEveryHalfLeaseTimeThenLeftAlone_LivesOnThenExpiresAboutLeaseTimeAfterLastWrite()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a");
        await using Instance b = await Instance.StartAsync(kit, server.Url, "b");
        await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token); // creates the bucket
        INatsKVStore kv = await a.KvAsync(kit.Token);

        var sinceFirstWrite = Stopwatch.StartNew();
        ulong revision = await kv.CreateAsync("lonely", Encoding.UTF8.GetBytes("x"), NatsRawSerializer<byte[]>.Default, kit.Token);
        var sinceLastWrite = Stopwatch.StartNew();
        while (sinceFirstWrite.Elapsed < 3 * LeaseTime)
        {
            await Task.Delay(LeaseTime / 2, kit.Token);
            sinceLastWrite.Restart();
            revision = await kv.UpdateAsync("lonely", Encoding.UTF8.GetBytes("x"), revision, NatsRawSerializer<byte[]>.Default, kit.Token);
        }

        Assert.Equal("x", await b.Leases.AcquireOrFindOwnerAsync("lonely", kit.Token)); // alive after 3 lease times

        await EventuallyAsync(
            async () => !(await kv.TryGetEntryAsync<byte[]>("lonely", cancellationToken: kit.Token)).Success,
            "the key left alone expires",
            kit);
        TimeSpan lifetime = sinceLastWrite.Elapsed;
        Assert.True(lifetime >= LeaseTime - TimeSpan.FromMilliseconds(50), $"Expired {lifetime} after its last write, before the max age {LeaseTime}.");
        TestContext.Current.TestOutputHelper?.WriteLine($"The key left alone was seen gone {lifetime.TotalMilliseconds:0} ms after its last write (max age {LeaseTime.TotalMilliseconds:0} ms).");
        Assert.Equal(b.Id, await b.Leases.AcquireOrFindOwnerAsync("lonely", kit.Token)); // free again
    }

    [Fact]
    public async Task AcquireOrFindOwnerAsync_OwnerDiesWithoutRelease_SecondInstanceTakesOverAfterTheLeaseTime()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a");
        await using Instance b = await Instance.StartAsync(kit, server.Url, "b");
        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        await a.Leases.AcquireOrFindOwnerAsync("warmup", kit.Token);
        await b.Leases.AcquireOrFindOwnerAsync("warmup", kit.Token);

        INatsKVStore kv = await b.KvAsync(kit.Token);
        NatsKVEntry<byte[]> beforeDeath = await kv.GetEntryAsync<byte[]>("arena", cancellationToken: kit.Token);

        // Death: a's connection goes away at once (no release); a's renewals fail from here on.
        await a.Connection.DisposeAsync();

        TimeSpan takenOver = await EventuallyAsync(
            async () => await b.Leases.AcquireOrFindOwnerAsync("arena", kit.Token) == b.Id,
            "b takes the room over",
            kit);
        DateTimeOffset takenAt = DateTimeOffset.UtcNow;

        // Not before the key expired: the lease time after a's last write, which is no earlier than the one read before the death.
        Assert.True(
            takenAt >= beforeDeath.Created + LeaseTime - TimeSpan.FromMilliseconds(50),
            $"b took over at {takenAt:HH:mm:ss.fff}, sooner than the lease time {LeaseTime} after a's write at {beforeDeath.Created:HH:mm:ss.fff}.");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"b took the room over {takenOver.TotalMilliseconds:0} ms after a died, {(takenAt - beforeDeath.Created).TotalMilliseconds:0} ms after the last write seen before (lease time {LeaseTime.TotalMilliseconds:0} ms).");
        await EventuallyAsync(() => Task.FromResult(a.Lost.Contains("arena")), "a raises LeaseLost for the room it could not renew", kit);
        Assert.False(a.Leases.Holds("arena"));
    }

    [Fact]
    public async Task ReleaseAsync_Owner_OtherInstanceClaimsAtOnceOverTheDeleteMarker()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a");
        await using Instance b = await Instance.StartAsync(kit, server.Url, "b");
        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        Assert.Equal(a.Id, await b.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));

        await a.Leases.ReleaseAsync("arena", kit.Token);
        Assert.False(a.Leases.Holds("arena"));
        INatsKVStore kv = await a.KvAsync(kit.Token);
        NatsResult<NatsKVEntry<byte[]>> marker = await kv.TryGetEntryAsync<byte[]>("arena", cancellationToken: kit.Token);
        Assert.IsType<NatsKVKeyDeletedException>(marker.Error); // a delete marker, not nothing

        Assert.Equal(b.Id, await b.Leases.AcquireOrFindOwnerAsync("arena", kit.Token)); // no waiting for an expiry
        Assert.Equal(b.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        await a.Leases.ReleaseAsync("arena", kit.Token); // not held by a: a no-op
        Assert.Equal(b.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        Assert.Empty(a.Lost);
        Assert.Empty(b.Lost);
    }

    [Fact]
    public async Task Renewal_KeyPurgedByAnotherParty_OwnerRaisesLeaseLostAndAnotherClaimsOverThePurgeMarker()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a");
        await using Instance b = await Instance.StartAsync(kit, server.Url, "b");
        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));

        INatsKVStore kv = await b.KvAsync(kit.Token);
        await kv.PurgeAsync("arena", cancellationToken: kit.Token);
        Assert.Equal(b.Id, await b.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));

        await EventuallyAsync(() => Task.FromResult(a.Lost.Contains("arena")), "a's next renewal finds the revision moved and raises LeaseLost", kit);
        Assert.False(a.Leases.Holds("arena"));
        Assert.Equal(b.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        Assert.Contains("holds it now", kit.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcquireOrFindOwnerAsync_OwnKeyNotHeldHere_TakesItBackAndRenewsIt()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a");
        await a.Leases.AcquireOrFindOwnerAsync("warmup", kit.Token); // creates the bucket
        INatsKVStore kv = await a.KvAsync(kit.Token);

        // A claim of a's whose answer a never saw (as when the request timed out but landed).
        await kv.CreateAsync("arena", Encoding.UTF8.GetBytes(a.Id), NatsRawSerializer<byte[]>.Default, kit.Token);
        Assert.False(a.Leases.Holds("arena"));
        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        Assert.True(a.Leases.Holds("arena"));

        await Task.Delay(2 * LeaseTime, kit.Token);
        Assert.True(a.Leases.Holds("arena"));
        Assert.True((await kv.TryGetEntryAsync<byte[]>("arena", cancellationToken: kit.Token)).Success, "The taken-back key was not renewed.");
        Assert.Empty(a.Lost);
    }

    [Fact]
    public async Task Holds_ClockPastTheDeadlineBeforeTheLoopNotices_FalseAtOnceThenAcquireSignalsTheLossOnceAndTakesTheKeyBack()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        var clock = new JumpingClock();
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a", clock);
        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));

        // As if this process had been frozen (a long GC pause, a suspended VM) past the deadline.
        clock.Jump(LeaseTime + TimeSpan.FromSeconds(1));
        Assert.False(a.Leases.Holds("arena"));

        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token)); // nobody took it: its own key, taken back
        Assert.True(a.Leases.Holds("arena"));
        await EventuallyAsync(() => Task.FromResult(a.Lost.Count == 1), "the loss is signalled", kit);
        await Task.Delay(2 * LeaseTime, kit.Token);
        Assert.Equal(["arena"], a.Lost); // once, by whichever noticed first
        Assert.True(a.Leases.Holds("arena")); // and renewed since
    }

    [Fact]
    public async Task LeaseLost_OwnerPartitionedLongerThanLeaseTime_RaisedWhileAnotherClaimsAndAfterRestoreOwnerSeesTheNewOwner()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using var proxy = new TcpCutProxy(server.Port);
        await using Instance a = await Instance.StartAsync(kit, proxy.Url, "a (behind the proxy)");
        await using Instance b = await Instance.StartAsync(kit, server.Url, "b");
        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("second", kit.Token));

        proxy.Cut();
        await EventuallyAsync(
            async () => await b.Leases.AcquireOrFindOwnerAsync("arena", kit.Token) == b.Id,
            "b claims the room once a's lease lapsed",
            kit);
        await EventuallyAsync(() => Task.FromResult(a.Lost.Contains("arena") && a.Lost.Contains("second")), "a raises LeaseLost for both rooms", kit);
        Assert.False(a.Leases.Holds("arena"));
        Assert.Equal(0, a.Leases.HeldCount);

        proxy.Restore();
        string owner = string.Empty;
        await EventuallyAsync(
            async () =>
            {
                try
                {
                    owner = await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token);
                    return true;
                }
                catch (ClusterUnavailableException)
                {
                    return false; // still reconnecting
                }
            },
            "a reaches NATS again",
            kit);
        Assert.Equal(b.Id, owner);
        Assert.False(a.Leases.Holds("arena"));
        Assert.True(b.Leases.Holds("arena"));
        Assert.Empty(b.Lost);
    }

    [Fact]
    public async Task AcquireOrFindOwnerAsync_NatsStopped_ThrowsClusterUnavailableAndWorksAgainAfterRestart()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a");
        await using Instance fresh = await Instance.StartAsync(kit, server.Url, "fresh (never found the bucket)");
        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));

        await server.StopAsync();
        foreach (Instance instance in (Instance[])[a, fresh])
        {
            var elapsed = Stopwatch.StartNew();
            ClusterUnavailableException exception = await Assert.ThrowsAsync<ClusterUnavailableException>(
                async () => await instance.Leases.AcquireOrFindOwnerAsync("other", kit.Token));
            Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(15), $"{instance.Name}: gave up only after {elapsed.Elapsed}.");
            Assert.Contains("\"other\"", exception.Message, StringComparison.Ordinal);
        }

        await EventuallyAsync(() => Task.FromResult(a.Lost.Contains("arena")), "a gives up the lease it cannot renew", kit);

        await server.StartAsync(kit.Token);
        string owner = string.Empty;
        await EventuallyAsync(
            async () =>
            {
                try
                {
                    owner = await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token);
                    return true;
                }
                catch (ClusterUnavailableException)
                {
                    return false;
                }
            },
            "a reaches NATS after the restart",
            kit);
        Assert.Equal(a.Id, owner); // expired (or its own key, taken back)
        Assert.Equal(a.Id, await fresh.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
    }

    [Fact]
    public async Task AcquireOrFindOwnerAsync_BucketDeletedBehindItsBack_RecreatesItAndTheOldOwnerLosesItsLease()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a");
        await using Instance b = await Instance.StartAsync(kit, server.Url, "b");
        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        Assert.Equal(a.Id, await b.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));

        Assert.True(await new NatsKVContext(new NatsJSContext(b.Connection)).DeleteStoreAsync(b.Leases.Bucket, kit.Token));
        var errors = new ConcurrentQueue<string>();
        kit.Describe(() => "errors: " + string.Join(Environment.NewLine, errors.Take(5)));

        string owner = string.Empty;
        await EventuallyAsync(
            async () =>
            {
                try
                {
                    owner = await b.Leases.AcquireOrFindOwnerAsync("arena", kit.Token);
                    return true;
                }
                catch (ClusterUnavailableException exception)
                {
                    errors.Enqueue(exception.Message + " / " + exception.InnerException?.GetType().Name);
                    return false; // the first try after the deletion finds no bucket; the next creates it
                }
            },
            "b reaches the bucket again",
            kit);
        Assert.Equal(b.Id, owner);
        await EventuallyAsync(() => Task.FromResult(a.Lost.Contains("arena")), "a's renewal finds its key gone and raises LeaseLost", kit);
        Assert.Equal(b.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
    }

    [Fact]
    public async Task AcquireOrFindOwnerAsync_BucketExistsWithAnotherMaxAge_FollowsTheBucket()
    {
        using var kit = new ClusterTestKit(TestTimeout);
        await using NatsServerFixture server = await NatsServerFixture.StartNewAsync(kit.Token);
        kit.Describe(server);
        await using Instance a = await Instance.StartAsync(kit, server.Url, "a");
        var kv = new NatsKVContext(new NatsJSContext(a.Connection));
        await kv.CreateStoreAsync(new NatsKVConfig("engine-rooms") { History = 1, MaxAge = TimeSpan.FromSeconds(3) }, kit.Token);

        Assert.Equal(a.Id, await a.Leases.AcquireOrFindOwnerAsync("arena", kit.Token));
        Assert.Equal(TimeSpan.FromSeconds(3), a.Leases.LeaseTime);
        Assert.Equal(Fast.RenewInterval, a.Leases.RenewInterval); // 667 ms is already under 3 s / 3
        Assert.Contains("leases follow the bucket", kit.Logs.Text, StringComparison.Ordinal);
    }

    /// <summary>Polls <paramref name="condition"/> until true; returns how long it took; fails after <see cref="TakeOverDeadline"/>.</summary>
    private static async Task<TimeSpan> EventuallyAsync(Func<Task<bool>> condition, string what, ClusterTestKit kit)
    {
        var elapsed = Stopwatch.StartNew();
        while (!await condition())
        {
            if (elapsed.Elapsed > TakeOverDeadline)
            {
                Assert.Fail($"Not true within {TakeOverDeadline.TotalSeconds:0} s: {what}.{Environment.NewLine}{kit.Diagnostics()}");
            }

            await Task.Delay(100, kit.Token);
        }

        return elapsed.Elapsed;
    }

    /// <summary>The system clock plus an offset that a test can jump forward (timers run in real time).</summary>
    private sealed class JumpingClock : TimeProvider
    {
        private long _offset;

        public override long GetTimestamp() => base.GetTimestamp() + Interlocked.Read(ref _offset);

        public void Jump(TimeSpan by) => Interlocked.Add(ref _offset, (long)(by.TotalSeconds * TimestampFrequency));
    }

    /// <summary>One instance: its own connection (as the bus's), its leases, and the rooms it was told it lost.</summary>
    private sealed class Instance : IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> _lost = new();

        private Instance(string name, NatsConnection connection, NatsRoomLeases leases, INatsKVStore? kv)
        {
            Name = name;
            Connection = connection;
            Leases = leases;
            KvOrNull = kv;
            leases.LeaseLost += _lost.Enqueue;
        }

        public string Name { get; }

        public string Id => Leases.InstanceId;

        public NatsConnection Connection { get; }

        public NatsRoomLeases Leases { get; }

        /// <summary>The raw bucket, to look behind the leases (found on first use: after the leases created it).</summary>
        public async Task<INatsKVStore> KvAsync(CancellationToken cancellationToken) =>
            KvOrNull ??= await new NatsKVContext(new NatsJSContext(Connection)).GetStoreAsync(Leases.Bucket, cancellationToken);

        public IReadOnlyCollection<string> Lost => [.. _lost];

        private INatsKVStore? KvOrNull { get; set; }

        public static async Task<Instance> StartAsync(ClusterTestKit kit, string url, string name, TimeProvider? time = null)
        {
            string id = name[..1] + "-" + Guid.NewGuid().ToString("N")[..8];

            // As the cluster bus connects: reconnect forever, quickly; publishes wait for the reconnect.
            var connection = new NatsConnection(NatsOpts.Default with
            {
                Url = url,
                Name = "lease-test-" + id,
                LoggerFactory = kit.LoggerFactory,
                MaxReconnectRetry = -1,
                ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
                ReconnectWaitMax = TimeSpan.FromMilliseconds(500),
                ReconnectJitter = TimeSpan.FromMilliseconds(100),
                PingInterval = TimeSpan.FromSeconds(5),
                MaxPingOut = 2,
                PublishTimeoutOnDisconnected = false,
            });
            await connection.ConnectAsync();
            var leases = new NatsRoomLeases(connection, ClusterOptions.DefaultClusterName, id, time ?? TimeProvider.System, kit.LoggerFactory, Fast);
            var instance = new Instance(name, connection, leases, kv: null);
            kit.Describe(() => $"{name} ({id}): connection {connection.ConnectionState}, holds {leases.HeldCount}, lost [{string.Join(", ", instance.Lost)}]");
            return instance;
        }

        public async ValueTask DisposeAsync()
        {
            await Leases.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }
}
