using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace RagKit.LLamaSharp.Tests;

internal sealed record LogEntry(string Category, LogLevel Level, string Message);

internal sealed class CollectingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Collector(categoryName, Entries);

    public void Dispose()
    {
    }

    private sealed class Collector(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception)));
    }
}
