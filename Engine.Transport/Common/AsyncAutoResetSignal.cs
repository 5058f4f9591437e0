using System.Threading.Tasks.Sources;

namespace Engine.Transport.Common;

/// <summary>
/// An allocation-free auto-reset event for exactly one waiter (a writer loop) and any number of
/// signallers. A signal with nobody waiting is remembered (once) and consumed by the next wait.
/// </summary>
/// <remarks>
/// The waiter is resumed from the thread pool, never inline on the signalling thread, so a caller
/// that signals (a game tick) never ends up running the waiter's work. The instance queues itself
/// as the work item, which avoids the per-wake allocation of a delegate-based queue.
/// </remarks>
public sealed class AsyncAutoResetSignal : IValueTaskSource, IThreadPoolWorkItem
{
    private const int Idle = 0;
    private const int Signaled = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _completion;
    private int _state;

    /// <summary>Wakes the waiter, or lets the next <see cref="WaitAsync"/> return at once.</summary>
    public void Set()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signaled:
                    return;
                case Idle:
                    if (Interlocked.CompareExchange(ref _state, Signaled, Idle) == Idle)
                    {
                        return;
                    }

                    break;
                default:
                    if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                    {
                        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                        return;
                    }

                    break;
            }
        }
    }

    /// <summary>Waits for the next signal. Only one wait may be outstanding at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signaled) == Signaled)
        {
            return ValueTask.CompletedTask;
        }

        // Safe to reset: the previous wait has completed and been awaited (single waiter).
        _completion.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle)
        {
            return new ValueTask(this, _completion.Version);
        }

        // A signal arrived between the two steps; consume it.
        Volatile.Write(ref _state, Idle);
        return ValueTask.CompletedTask;
    }

    void IThreadPoolWorkItem.Execute() => _completion.SetResult(true);

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource.OnCompleted(
        Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}
