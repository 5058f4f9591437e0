using Engine.Transport.Common;

namespace Engine.Tests.Transport.Common;

public class AsyncAutoResetSignalTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WaitAsync_SignalledBefore_CompletesAtOnceAndConsumesTheSignal()
    {
        var signal = new AsyncAutoResetSignal();
        signal.Set();
        signal.Set();

        ValueTask first = signal.WaitAsync();
        Assert.True(first.IsCompletedSuccessfully);
        await first;
        ValueTask second = signal.WaitAsync();
        Assert.False(second.IsCompleted);

        signal.Set();
        await second.AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Set_WaiterPending_ResumesItOnAnotherThread()
    {
        var signal = new AsyncAutoResetSignal();
        int setterThread = -1;
        int resumedThread = -1;
        var resumed = new TaskCompletionSource();

        Task waiter = WaitThenRecordAsync();
        Thread setter = new(() =>
        {
            setterThread = Environment.CurrentManagedThreadId;
            signal.Set();
            Thread.Sleep(200);
        });
        setter.Start();
        await resumed.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        setter.Join();

        Assert.NotEqual(setterThread, resumedThread);
        await waiter;

        async Task WaitThenRecordAsync()
        {
            await signal.WaitAsync();
            resumedThread = Environment.CurrentManagedThreadId;
            resumed.SetResult();
        }
    }

    [Fact]
    public async Task WaitAsync_ManySetsFromOtherThreads_NeverLosesTheLastSignal()
    {
        var signal = new AsyncAutoResetSignal();
        int produced = 0;
        int observed = 0;
        const int Total = 20_000;

        Task consumer = Task.Run(async () =>
        {
            while (Volatile.Read(ref observed) < Total)
            {
                await signal.WaitAsync();
                Volatile.Write(ref observed, Volatile.Read(ref produced));
            }
        }, TestContext.Current.CancellationToken);

        Task[] producers = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < Total / 2; i++)
            {
                Interlocked.Increment(ref produced);
                signal.Set();
            }
        }, TestContext.Current.CancellationToken))];

        await Task.WhenAll(producers).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await consumer.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(Total, observed);
    }
}
