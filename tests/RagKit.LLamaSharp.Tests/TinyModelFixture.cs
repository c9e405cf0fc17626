using RagKit.TestModels;

namespace RagKit.LLamaSharp.Tests;

/// <summary>Writes the tiny random GGUF once per test run into a temp directory.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public TinyModelFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "ragkit-llama-tests-" + Guid.NewGuid().ToString("N"));
        ModelPath = TinyGgufWriter.Write(Path.Combine(Directory, "tiny.gguf"));
    }

    public string Directory { get; }

    public string ModelPath { get; }

    public LLamaSharpGeneratorOptions Options(Action<LLamaSharpGeneratorOptions>? configure = null)
    {
        var options = new LLamaSharpGeneratorOptions
        {
            ModelPath = ModelPath,
            ContextSize = 512,
            Threads = 2,
            MaxTokens = 24,
            Temperature = 0,
            MaxConcurrentRequests = 4,
        };
        configure?.Invoke(options);
        return options;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TinyModelCollection : ICollectionFixture<TinyModelFixture>
{
    public const string Name = "tiny model";
}
