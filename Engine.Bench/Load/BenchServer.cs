using System.Globalization;
using Engine.Cluster;
using Engine.Hosting;
using Engine.Sessions.Relay;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Engine.Bench.Load;

/// <summary>
/// <c>Engine.Bench serve --rate 30 --entities 64 --events-per-tick 0</c>: an Engine host with the
/// bench room on a free loopback port, run as its own process so its CPU time is measured alone.
/// Prints <c>listening URL</c> and serves until its standard input closes. With <c>--nats-url</c> it
/// joins that NATS as an instance of the cluster <c>--cluster-name</c>, prints <c>instance ID</c>
/// first, and prints <c>listening</c> only once its relay subscriptions are live at the server; with
/// <c>--room-owner ID</c> that instance owns every room (<see cref="FixedOwnerLeases"/>). A line
/// <c>stats</c> on standard input is answered with one line <c>stats key=value …</c> (GC, and the
/// bus's and relay's counters when clustered).
/// </summary>
internal static class BenchServer
{
    public static async Task<int> RunAsync(LoadArguments args)
    {
        BenchRoom.Entities = args.Entities;
        BenchRoom.EventsPerTick = args.EventsPerTick;
        BenchRoom.EventBytes = args.EventBytes;
        BenchEntityRoom.Entities = args.Entities;
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        if (args.NatsUrl is not null)
        {
            builder.Configuration["Engine:Nats:Url"] = args.NatsUrl;
            builder.Configuration["Engine:Nats:ClusterName"] = args.ClusterName ?? "bench";
        }

        if (args.RoomOwner is not null)
        {
            builder.Services.AddSingleton<IRoomLeases>(new FixedOwnerLeases(args.RoomOwner)); // before AddEngine: its TryAdd keeps this one
        }

        Action<EngineOptions> configure = o =>
        {
            o.Host = "127.0.0.1";
            o.Port = 0;
            o.TickRate = args.Rate;
            o.RoomCapacity = Math.Max(o.RoomCapacity, args.Clients);
            o.SendQueueCapacity = 4096;
            o.DataDir = Path.Combine(Path.GetTempPath(), "engine-bench");
        };
        if (args.EntityMode)
        {
            builder.AddEngine<BenchEntityRoom>(configure);
        }
        else
        {
            builder.AddEngine<BenchRoom>(configure);
        }

        using UdpFloorSender? floor = args.UdpFloorBytes > 0 ? new UdpFloorSender(args.UdpFloorBytes, args.Rate) : null;
        if (floor is not null)
        {
            Console.WriteLine("udp-floor " + floor.Port.ToString(CultureInfo.InvariantCulture));
        }

        WebApplication app = builder.Build();
        app.MapEngine();
        await app.StartAsync();
        IClusterBus bus = app.Services.GetRequiredService<IClusterBus>();
        RelayServer relay = app.Services.GetRequiredService<RelayServer>();
        if (bus.IsClustered)
        {
            Console.WriteLine("instance " + bus.InstanceId);
            await WaitForRelaySubscriptionsAsync(bus, relay);
        }

        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine("listening " + url);
        while (await Console.In.ReadLineAsync() is { } command) // the parent closes our stdin to stop us
        {
            if (command == "stats")
            {
                Console.WriteLine("stats " + Stats(bus, relay));
            }
        }

        await app.StopAsync();
        return 0;
    }

    /// <summary>
    /// The bus subscribes in the background; another instance may relay a player here as soon as we
    /// say we are listening, and NATS core keeps nothing for a subscription that is not there yet. So
    /// publish a frame too short to parse to our own <c>relay.in</c> subject until the relay counts it
    /// as malformed (it came back through the server: that subscription is live), then the same for
    /// <c>relay.out</c>.
    /// </summary>
    private static async Task WaitForRelaySubscriptionsAsync(IClusterBus bus, RelayServer relay)
    {
        long deadline = Environment.TickCount64 + 20_000;
        while (!bus.IsConnected)
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("the bench server did not connect to NATS within 20 s");
            }

            await Task.Delay(20);
        }

        foreach (string subject in (string[])[RelayServer.OwnerSubject(bus.InstanceId), RelayServer.EdgeSubject(bus.InstanceId)])
        {
            long before = relay.Malformed;
            while (relay.Malformed == before)
            {
                if (Environment.TickCount64 > deadline)
                {
                    throw new TimeoutException($"the relay's subscription to {subject} did not answer within 20 s");
                }

                bus.Publish(subject, [0xFF]);
                for (int i = 0; i < 20 && relay.Malformed == before; i++)
                {
                    await Task.Delay(10);
                }
            }

            await Task.Delay(100); // a probe still in flight is counted now, not in the next step
        }
    }

    /// <summary>The <c>stats</c> answer: this process's allocations and GCs, the bus's and relay's counters.</summary>
    private static string Stats(IClusterBus bus, RelayServer relay)
    {
        var stats = new List<(string, long)>(ProcessStats.Gc());
        if (bus is NatsClusterBus nats)
        {
            stats.AddRange(
            [
                ("bus_published", nats.Published), ("bus_received", nats.Received), ("bus_outbound_dropped", nats.OutboundDropped),
                ("bus_inbound_dropped", nats.InboundDropped), ("bus_publish_errors", nats.PublishErrors), ("bus_handler_errors", nats.HandlerErrors),
                ("bus_refused", nats.Refused),
            ]);
        }

        stats.AddRange([("relay_malformed", relay.Malformed), ("relay_owned_links", relay.OwnedLinks), ("relay_edge_links", relay.EdgeLinks)]);
        return ProcessStats.Format(stats);
    }
}

/// <summary>The <c>stats</c> line of the bench's helper processes (<c>serve</c>, <c>nats-publish</c>).</summary>
internal static class ProcessStats
{
    /// <summary>Bytes allocated (all threads) and collections per generation so far.</summary>
    public static IEnumerable<(string, long)> Gc() =>
    [
        ("alloc_bytes", GC.GetTotalAllocatedBytes(precise: false)), ("gc0", GC.CollectionCount(0)), ("gc1", GC.CollectionCount(1)), ("gc2", GC.CollectionCount(2)),
    ];

    public static string Format(IEnumerable<(string Key, long Value)> stats) =>
        string.Join(' ', stats.Select(s => s.Key + "=" + s.Value.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Parses what <see cref="Format"/> wrote (after the <c>stats </c> prefix).</summary>
    public static Dictionary<string, double> Parse(string line)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string pair in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && double.TryParse(pair.AsSpan(equals + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                values[pair[..equals]] = value;
            }
        }

        return values;
    }
}
