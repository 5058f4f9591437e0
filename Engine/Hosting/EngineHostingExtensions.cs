using System.Diagnostics.Metrics;
using System.Net;
using Engine.Cluster;
using Engine.Documents;
using Engine.Hosting.Http3;
using Engine.State.Clock;
using Engine.Rooms;
using Engine.Sessions;
using Engine.Sessions.Relay;
using Engine.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Hosting;

/// <summary>Adds Engine to an ASP.NET Core application.</summary>
public static class EngineHostingExtensions
{
    /// <summary>
    /// Registers Engine with <typeparamref name="TRoom"/> as the game logic of every room, binds
    /// <see cref="EngineOptions"/> from the <c>Engine</c> configuration section (then applies
    /// <paramref name="configure"/>), validates them, and makes Kestrel listen with HTTPS on
    /// <see cref="EngineOptions.Port"/>. Follow with <c>app.MapEngine()</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The configuration is invalid (every problem is listed).</exception>
    public static WebApplicationBuilder AddEngine<TRoom>(this WebApplicationBuilder builder, Action<EngineOptions>? configure = null)
        where TRoom : Room, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new EngineOptions();
        builder.Configuration.GetSection(EngineOptions.SectionName).Bind(options);
        configure?.Invoke(options);
        options.Validate();

        IServiceCollection services = builder.Services;
        services.AddSingleton<IOptions<EngineOptions>>(Options.Create(options));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<EngineMetrics>();
        services.AddSingleton<Func<string, Room>>(_ => _ => new TRoom());
        // The cluster: NATS when Engine:Nats:Url is set, else an in-process bus (a bus registered
        // already, e.g. by a test, wins).
        var cluster = new ClusterOptions();
        builder.Configuration.GetSection(ClusterOptions.SectionName).Bind(cluster);
        cluster.Validate();
        services.AddSingleton(cluster);
        services.TryAddSingleton<IClusterBus>(sp => ClusterBus.Create(cluster, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp => new HybridLogicalClock(sp.GetRequiredService<IClusterBus>().NodeId, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new EdgeDocuments(sp.GetRequiredService<HybridLogicalClock>(), sp.GetRequiredService<Func<string, Room>>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("Engine.Documents")));
        services.AddSingleton<DocumentReplicator>();
        var leaseOptions = new RoomLeaseOptions();
        builder.Configuration.GetSection(RoomLeaseOptions.SectionName).Bind(leaseOptions);
        leaseOptions.Validate();
        services.TryAddSingleton<IRoomLeases>(sp => sp.GetRequiredService<IClusterBus>() is NatsClusterBus nats
            ? new NatsRoomLeases(nats.Connection, nats.ClusterName, nats.InstanceId, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(), leaseOptions)
            : new LocalRoomLeases(sp.GetRequiredService<IClusterBus>().InstanceId));
        var eventStore = new RoomEventStoreOptions();
        builder.Configuration.GetSection(RoomEventStoreOptions.SectionName).Bind(eventStore);
        eventStore.Validate();
        services.TryAddSingleton<IRoomEventStore>(sp => sp.GetRequiredService<IClusterBus>() is NatsClusterBus nats
            ? new JetStreamRoomEventStore(nats.Connection, nats.ClusterName, sp.GetRequiredService<ILoggerFactory>(), eventStore)
            : new NoRoomEventStore());
        services.TryAddSingleton<ISeatRecords>(sp => sp.GetRequiredService<IClusterBus>() is NatsClusterBus nats
            ? new NatsSeatRecords(nats.Connection, nats.ClusterName, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>())
            : new NoSeatRecords());
        services.AddSingleton<RelayServer>();
        services.AddSingleton<RoomManager>();
        var presenceOptions = new ClusterPresenceOptions();
        builder.Configuration.GetSection(ClusterPresenceOptions.SectionName).Bind(presenceOptions);
        presenceOptions.Validate();
        services.TryAddSingleton(presenceOptions);
        services.AddSingleton(sp =>
        {
            RoomManager rooms = sp.GetRequiredService<RoomManager>();
            var presence = new ClusterPresence(
                sp.GetRequiredService<IClusterBus>(),
                sp.GetRequiredService<HybridLogicalClock>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>(),
                sp.GetRequiredService<ClusterPresenceOptions>(),
                () => rooms.All().Select(room => (room.Name, room.MembersSnapshot())));
            presence.Start();
            return presence;
        });
        services.AddSingleton<IClusterPresence>(sp => sp.GetRequiredService<ClusterPresence>());
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<EngineServices>();
        services.AddSingleton(sp => new ServerCertificateSource(options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddMetrics();
        services.AddSingleton(sp => new PrometheusMetricsExporter(
            [EngineMetrics.MeterName],
            new PrometheusExporterOptions { MeterScope = sp.GetRequiredService<IMeterFactory>() }));

        UseEngineServer(services, options);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            ServerCertificateSource certificates = kestrel.ApplicationServices.GetRequiredService<ServerCertificateSource>();
            void Https(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https => https.ServerCertificateSelector = certificates.Select);
            }

            switch (options.Host)
            {
                case "localhost":
                    kestrel.ListenLocalhost(options.Port, Https);
                    break;
                case "any":
                    kestrel.ListenAnyIP(options.Port, Https);
                    break;
                default:
                    IPAddress address = IPAddress.Parse(options.Host);

                    // Port 0: one port free for both TCP (Kestrel) and UDP (HTTP/3 takes the same number).
                    kestrel.Listen(address, options.Port == 0 && options.Http3 ? FreePort.ForTcpAndUdp(address) : options.Port, Https);
                    break;
            }
        });

        return builder;
    }

    /// <summary>Wraps the registered server (Kestrel) in <see cref="EngineServer"/>, which adds HTTP/3 on UDP.</summary>
    private static void UseEngineServer(IServiceCollection services, EngineOptions options)
    {
        ServiceDescriptor kestrel = services.LastOrDefault(d => d.ServiceType == typeof(IServer))
            ?? throw new InvalidOperationException("AddEngine needs a WebApplicationBuilder with Kestrel (WebApplication.CreateBuilder).");
        services.Remove(kestrel);
        Func<IServiceProvider, IServer> inner = kestrel switch
        {
            { ImplementationType: { } type } => sp => (IServer)sp.GetRequiredService(type),
            { ImplementationFactory: { } factory } => sp => (IServer)factory(sp),
            { ImplementationInstance: IServer instance } => _ => instance,
            _ => throw new InvalidOperationException("The registered IServer cannot be wrapped."),
        };
        if (kestrel.ImplementationType is { } implementation)
        {
            services.AddSingleton(implementation);
        }

        services.AddSingleton(sp => new EngineServer(inner(sp), options, sp.GetRequiredService<ServerCertificateSource>(), sp.GetRequiredService<ILoggerFactory>(), sp));
        services.AddSingleton<IServer>(sp => sp.GetRequiredService<EngineServer>());
    }
}
