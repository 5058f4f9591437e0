using Engine.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Engine.Bench.Load;

/// <summary>
/// <c>Engine.Bench serve --rate 30 --entities 64 --events-per-tick 0</c>: an Engine host with the
/// bench room on a free loopback port, run as its own process so its CPU time is measured alone.
/// Prints <c>listening URL</c> and serves until its standard input closes.
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
            Console.WriteLine("udp-floor " + floor.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        WebApplication app = builder.Build();
        app.MapEngine();
        await app.StartAsync();
        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine("listening " + url);
        await Console.In.ReadToEndAsync(); // the parent closes our stdin to stop us
        await app.StopAsync();
        return 0;
    }
}
