using System.Runtime.CompilerServices;
using Engine.Transport.Abstractions;
using Engine.Transport.Io;

namespace Engine.Transport.WebTransport;

/// <summary>
/// Every WebTransport session on one UDP socket shares its driver: sends made while the driver's
/// lock is held are queued on their connections (<see cref="WebTransportSession.SendMessageDatagrams"/>
/// sees the lock) and leave in the one flush at the end of <see cref="QuicEndpointHost.Invoke{TState, TResult}"/>.
/// </summary>
internal sealed class DriverSendGroup : UnreliableSendGroup
{
    private static readonly ConditionalWeakTable<QuicEndpointHost, DriverSendGroup> Groups = [];

    private readonly QuicEndpointHost _host;

    private DriverSendGroup(QuicEndpointHost host) => _host = host;

    /// <summary>The one group for <paramref name="host"/>.</summary>
    public static DriverSendGroup For(QuicEndpointHost host) => Groups.GetValue(host, static h => new DriverSendGroup(h));

    public override void Run<TState>(TState state, Action<TState> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _host.Invoke(new Batch<TState>(state, action), static (_, batch) =>
        {
            batch.Action(batch.State);
            return 0;
        });
    }

    private readonly ref struct Batch<TState>(TState state, Action<TState> action)
        where TState : allows ref struct
    {
        public TState State { get; } = state;

        public Action<TState> Action { get; } = action;
    }
}
