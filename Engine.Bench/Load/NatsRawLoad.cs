using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Engine.Cluster;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Sessions.Relay;
using NATS.Client.Core;

namespace Engine.Bench.Load;

/// <summary>
/// The raw NATS run of <c>cluster-fanout</c>: what NATS.Client.Core does with the relay's traffic and
/// nothing of Engine's around it. The publisher (<c>Engine.Bench nats-publish</c>, a process of its
/// own, like the owner instance) publishes per tick, on Engine's tick schedule, exactly the relay
/// frames the owner publishes for N relayed players: for each event of the tick one stamped
/// GameEvent frame per player, then one stamped Snapshot frame per player, the same bytes (relay
/// header, Engine's message encoding, the bench room's sizes), the same <c>Engine-Instance</c> header,
/// one <c>PublishAsync</c> each, to one subject of the same length. The subscriber (this bench
/// process, like the edge instance) reads the one subscription and hands each message to the
/// <see cref="NatsRawClient"/> its link names, which records it exactly as a WebSocket load client
/// records a snapshot or event (<see cref="LoadClient"/>): stamp→receive latency, loss by tick number.
/// </summary>
internal static class NatsRawLoad
{
    /// <summary>The publisher's stand-in instance id (12 characters, like an Engine instance id), so the subject and header have the relay's lengths.</summary>
    public const string PublisherId = "rawpublisher";

    /// <summary>The subject both sides use (full, with the cluster prefix).</summary>
    public static string Subject(string cluster) => cluster + "." + RelayServer.EdgeSubject(PublisherId);

    /// <summary>
    /// <c>nats-publish --nats-url U --cluster-name C [--flat-out] --clients N --rate R --entities E
    /// --events-per-tick K --event-bytes B</c>: connects, prints <c>listening about:blank</c>, publishes
    /// until standard input closes; a line <c>stats</c> is answered with messages published so far and GC figures.
    /// </summary>
    public static async Task<int> PublishAsync(LoadArguments args)
    {
        string url = args.NatsUrl ?? throw new ArgumentException("nats-publish needs --nats-url.");
        string subject = Subject(args.ClusterName ?? "bench");
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = url, Name = "engine-bench-raw-publisher", Headers = true, Echo = false });
        await nats.ConnectAsync();

        // The messages the bench room sends, in Engine's encoding: a Snapshot whose state is the room's
        // (stamp + MemoryPack of the entities), a GameEvent with EventBytes of data. Stamp at offset 22.
        byte[] snapshot = MessageCodec.ToArray(new SnapshotMessage { State = new byte[BenchRoom.StateBytes(args.Entities)] });
        byte[] gameEvent = MessageCodec.ToArray(new GameEventMessage { Kind = 1, Data = new byte[Math.Max(8, args.EventBytes)] });
        byte[] snapshotFrame = new byte[RelayFrame.HeaderLength + RelayFrame.MessagePrefixLength + snapshot.Length];
        byte[] eventFrame = new byte[RelayFrame.HeaderLength + RelayFrame.MessagePrefixLength + gameEvent.Length];
        var headers = new NatsHeaders { [NatsClusterBus.InstanceHeader] = PublisherId };
        long published = 0;

        using var stop = new CancellationTokenSource();
        Console.WriteLine("listening about:blank");
        Task commands = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is { } command) // the parent closes our stdin to stop us
            {
                if (command == "stats")
                {
                    Console.WriteLine("stats " + ProcessStats.Format([.. ProcessStats.Gc(), ("published", Interlocked.Read(ref published))]));
                }
            }

            await stop.CancelAsync();
        });

        var schedule = new TickSchedule(Stopwatch.GetTimestamp(), Stopwatch.Frequency, args.Rate);
        uint tick = 0;
        long sequence = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                long skipped = 0;
                if (!args.FlatOut)
                {
                    long now = Stopwatch.GetTimestamp();
                    long deadline = schedule.NextDeadline;
                    if (deadline > now)
                    {
                        await Task.Delay(Stopwatch.GetElapsedTime(now, deadline), stop.Token);
                    }

                    skipped = schedule.Advance(Stopwatch.GetTimestamp());
                }

                tick += (uint)(1 + skipped);
                for (int e = 0; e < args.EventsPerTick; e++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(gameEvent.AsSpan(2), ++sequence);
                    BinaryPrimitives.WriteInt64LittleEndian(gameEvent.AsSpan(22), Stopwatch.GetTimestamp());
                    await FanOutAsync(eventFrame, gameEvent, reliable: true);
                }

                BinaryPrimitives.WriteUInt32LittleEndian(snapshot.AsSpan(2), tick);
                BinaryPrimitives.WriteInt64LittleEndian(snapshot.AsSpan(22), Stopwatch.GetTimestamp());
                await FanOutAsync(snapshotFrame, snapshot, reliable: false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        await commands;
        return 0;

        // One relay frame per player (link = the player's index), one PublishAsync each: the owner's pump does the same.
        async Task FanOutAsync(byte[] frame, byte[] message, bool reliable)
        {
            RelayFrame.WriteMessage(frame, 0, reliable, 0, message);
            for (int i = 0; i < args.Clients; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(1), i);
                await nats.PublishAsync(subject, new ReadOnlyMemory<byte>(frame), headers, serializer: NatsRawSerializer<ReadOnlyMemory<byte>>.Default, cancellationToken: stop.Token);
            }

            Interlocked.Add(ref published, args.Clients);
        }
    }
}

/// <summary>The raw NATS run's receiving side in the bench process: one connection, one subscription, one reading task.</summary>
internal sealed class NatsRawSubscriber : IAsyncDisposable
{
    private readonly NatsConnection _nats;
    private readonly ConcurrentDictionary<long, NatsRawClient> _clients = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private long _received;
    private long _dropped;

    private NatsRawSubscriber(string url)
    {
        _nats = new NatsConnection(NatsOpts.Default with { Url = url, Name = "engine-bench-raw-subscriber" });
        _nats.MessageDropped += (_, _) =>
        {
            Interlocked.Increment(ref _dropped);
            return ValueTask.CompletedTask;
        };
    }

    /// <summary>Messages taken from the subscription.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Messages NATS.Client.Core dropped because the subscription's queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public static async Task<NatsRawSubscriber> StartAsync(string url, string subject)
    {
        var subscriber = new NatsRawSubscriber(url);
        await subscriber._nats.ConnectAsync();
        INatsSub<NatsMemoryOwner<byte>> sub = await subscriber._nats.SubscribeCoreAsync(
            subject, serializer: NatsRawSerializer<NatsMemoryOwner<byte>>.Default, opts: NatsRawLoadOptions.Subscription);
        subscriber._loop = Task.Run(() => subscriber.ReadAsync(sub));
        return subscriber;
    }

    /// <summary>The client for player <paramref name="index"/> (the publisher's link id).</summary>
    public LoadClient Client(int index) => _clients.GetOrAdd(index, _ => new NatsRawClient());

    private async Task ReadAsync(INatsSub<NatsMemoryOwner<byte>> sub)
    {
        await using (sub)
        {
            ChannelReader<NatsMsg<NatsMemoryOwner<byte>>> messages = sub.Msgs;
            try
            {
                while (await messages.WaitToReadAsync(_stop.Token))
                {
                    while (messages.TryRead(out NatsMsg<NatsMemoryOwner<byte>> message))
                    {
                        using NatsMemoryOwner<byte> data = message.Data;
                        long now = Stopwatch.GetTimestamp();
                        Interlocked.Increment(ref _received);
                        if (RelayFrame.TryParse(data.Memory.Span, out RelayFrame.Parsed frame) && frame.Kind == RelayFrameKind.Message && frame.Body.Length > 1
                            && _clients.TryGetValue(frame.Link, out NatsRawClient? client))
                        {
                            client.Deliver(frame.Body[1..], now);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _nats.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>A "player" of the raw run: no connection of its own, fed by the subscriber's loop.</summary>
    private sealed class NatsRawClient : LoadClient
    {
        public NatsRawClient() => Start();

        public void Deliver(ReadOnlySpan<byte> message, long now) => Receive(message, now);

        protected override Task SendAsync(byte[] message, CancellationToken cancellationToken) => Task.CompletedTask; // nobody to ping

        protected override bool IsClosed(Exception exception) => false;

        protected override ValueTask CloseAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>Subscription options shared by the raw subscriber.</summary>
internal static class NatsRawLoadOptions
{
    /// <summary>The subscriber's queue, as the cluster bus sets it for each subscription (<see cref="ClusterOptions.InboundQueueCapacity"/>, newest dropped).</summary>
    public static readonly NatsSubOpts Subscription = new()
    {
        ChannelOpts = new NatsSubChannelOpts { Capacity = new ClusterOptions().InboundQueueCapacity, FullMode = BoundedChannelFullMode.DropNewest },
    };
}
