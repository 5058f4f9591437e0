using Microsoft.Extensions.Logging;

namespace Engine.Tests.Cluster;

/// <summary>Keeps the last log lines (bounded: oldest dropped first) for failure messages.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private const int Capacity = 400;

    private readonly Queue<string> _lines = new();

    public string Text
    {
        get
        {
            lock (_lines)
            {
                return string.Join(Environment.NewLine, _lines);
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > Capacity)
            {
                _lines.Dequeue();
            }
        }
    }

    private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string shortCategory = category[(category.LastIndexOf('.') + 1)..];
            string error = exception is null ? string.Empty : $" [{exception.GetType().Name}: {exception.Message}]";
            provider.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {shortCategory}: {formatter(state, exception)}{error}");
        }
    }
}
