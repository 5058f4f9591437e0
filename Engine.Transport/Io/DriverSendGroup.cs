using Engine.Transport.Abstractions;

namespace Engine.Transport.Io;

/// <summary>
/// The send group of one <see cref="QuicEndpointHost"/>: every session on its UDP socket shares the
/// driver, and sends made while the driver's lock is held only queue on their connections, so they
/// all leave in the one flush at the end of <see cref="QuicEndpointHost.Invoke{TState, TResult}"/>.
/// </summary>
internal sealed class DriverSendGroup(QuicEndpointHost host) : UnreliableSendGroup
{
    public override void Run<TState>(TState state, Action<TState> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        host.Invoke(new Batch<TState>(state, action), static (_, batch) =>
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
