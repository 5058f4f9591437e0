namespace Engine.Transport.Net;

/// <summary>
/// Wakes every current waiter at once (any number of them); a pulse with nobody waiting is not
/// remembered, so waiters re-check their condition under the driver's lock before waiting.
/// Continuations run on the thread pool, never on the pulsing (driver) thread.
/// </summary>
internal sealed class AsyncPulse
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _taken;

    /// <summary>The task the next <see cref="Pulse"/> completes; take it before checking the condition.</summary>
    public Task NextAsync()
    {
        lock (_gate)
        {
            _taken = true;
            return _next.Task;
        }
    }

    public void Pulse()
    {
        TaskCompletionSource current;
        lock (_gate)
        {
            if (!_taken)
            {
                return; // nobody took the pending task since the last pulse: nothing to wake, nothing to allocate
            }

            current = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _taken = false;
        }

        current.TrySetResult();
    }
}
