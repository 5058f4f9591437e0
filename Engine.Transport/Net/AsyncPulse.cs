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

    /// <summary>
    /// Tries <paramref name="attempt"/> (which checks its condition under the driver's lock) until it
    /// returns a result, waiting for a pulse between tries: the shape of every "wait for credit" loop.
    /// </summary>
    public async ValueTask<T> UntilAsync<T>(Func<T?> attempt, CancellationToken cancellationToken)
        where T : class
    {
        while (true)
        {
            Task next = NextAsync();
            if (attempt() is { } result)
            {
                return result;
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
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
