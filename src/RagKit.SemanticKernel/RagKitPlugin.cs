using System.ComponentModel;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using RagKit.Retrieval;

namespace RagKit.SemanticKernel;

/// <summary>A kernel plugin over a RagKit pipeline: <c>ask</c> answers from the documents (through the cache tiers), <c>search</c> returns matching chunks.</summary>
public sealed class RagKitPlugin
{
    private readonly IRagPipeline _pipeline;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embedder;
    private readonly IVectorStore? _store;

    /// <summary>Creates the plugin.</summary>
    /// <param name="pipeline">The pipeline that answers.</param>
    /// <param name="embeddingGenerator">Embeds search queries; needed by <c>search</c>.</param>
    /// <param name="vectorStore">The pipeline's vector store; needed by <c>search</c>.</param>
    public RagKitPlugin(IRagPipeline pipeline, IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null, IVectorStore? vectorStore = null)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _embedder = embeddingGenerator;
        _store = vectorStore;
    }

    /// <summary>Answers a question from the tenant's documents, citing sources as [n].</summary>
    /// <param name="question">The question.</param>
    /// <param name="tenant">The tenant whose documents are used.</param>
    /// <param name="collection">The collection.</param>
    /// <param name="cancellationToken">Cancels the ask.</param>
    /// <returns>The answer text.</returns>
    [KernelFunction("ask")]
    [Description("Answers a question from the organisation's documents, citing sources as [n].")]
    public async Task<string> AskAsync(
        [Description("The question")] string question,
        [Description("The tenant")] string tenant = "default",
        [Description("The document collection")] string collection = "default",
        CancellationToken cancellationToken = default)
    {
        RagAnswer answer = await _pipeline.AskAsync(question, new AskOptions(new RagScope(tenant, collection)), cancellationToken).ConfigureAwait(false);
        return answer.Text;
    }

    /// <summary>Finds the document chunks most similar to a query.</summary>
    /// <param name="query">The query.</param>
    /// <param name="tenant">The tenant whose documents are searched.</param>
    /// <param name="collection">The collection.</param>
    /// <param name="top">How many chunks to return.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The chunks, best first, as "[score] documentId: text" lines.</returns>
    /// <exception cref="InvalidOperationException">No embedding generator or vector store was given.</exception>
    [KernelFunction("search")]
    [Description("Finds the document passages most similar to a query.")]
    public async Task<string> SearchAsync(
        [Description("The search query")] string query,
        [Description("The tenant")] string tenant = "default",
        [Description("The document collection")] string collection = "default",
        [Description("How many passages")] int top = 4,
        CancellationToken cancellationToken = default)
    {
        if (_embedder is null || _store is null)
        {
            throw new InvalidOperationException("search needs an embedding generator and a vector store: register them (for example AddOnnxEmbeddings and UseEmbeddedVectorStore).");
        }

        Embedding<float> e = await _embedder.GenerateAsync(query, cancellationToken: cancellationToken).ConfigureAwait(false);
        IReadOnlyList<ChunkMatch> matches = await _store.SearchAsync(e.Vector, new VectorQuery(new RagScope(tenant, collection), Math.Clamp(top, 1, 100), 0f), cancellationToken).ConfigureAwait(false);
        return string.Join('\n', matches.Select(m => $"[{m.Score:F3}] {m.Document.DocumentId}: {m.Text}"));
    }
}
