using System.Text;
using LLama;
using LLama.Batched;
using LLama.Native;
using LLama.Sampling;
using Microsoft.Extensions.AI;

namespace RagKit.LLamaSharp;

public sealed partial class LLamaSharpChatClient
{
    /// <summary>
    /// The single owner of the <see cref="BatchedExecutor"/>: admits requests, feeds prompts in chunks, runs one
    /// <c>Infer()</c> for all active conversations, samples each and feeds the sampled token back.
    /// </summary>
    private sealed class DecodeLoop(LLamaSharpChatClient owner) : IDisposable
    {
        private readonly List<Slot> _waiting = [];
        private readonly List<Slot> _active = [];
        private readonly Dictionary<string, PrefixEntry> _prefixes = new(StringComparer.Ordinal);
        private readonly List<PrefixEntry> _livePrefixes = [];
        private long _useClock;

        private BatchedExecutor Executor => owner._executor;

        private int ChunkSize => (int)Executor.Context.BatchSize;

        public async Task RunAsync(CancellationToken shutdown)
        {
            try
            {
                while (!shutdown.IsCancellationRequested)
                {
                    if (_waiting.Count == 0 && _active.Count == 0 && !PrefixNeedsInference())
                    {
                        if (!await owner._incoming.Reader.WaitToReadAsync(shutdown).ConfigureAwait(false))
                        {
                            break;
                        }
                    }

                    while (owner._incoming.Reader.TryRead(out var request))
                    {
                        _waiting.Add(new Slot(request));
                    }

                    DropFinishedWaiting();
                    Admit();
                    FeedPrompts();
                    if (Executor.BatchedTokenCount == 0)
                    {
                        // Nothing to decode: requests wait for KV space or for a prefix; yield briefly.
                        if (_active.Count == 0 && _waiting.Count > 0)
                        {
                            await Task.Delay(1, shutdown).ConfigureAwait(false);
                        }

                        continue;
                    }

                    var result = await Executor.Infer(shutdown).ConfigureAwait(false);
                    if (result != DecodeResult.Ok)
                    {
                        Log.DecodeFailed(owner._logger, result);
                        FailAll(new InvalidOperationException($"llama.cpp decode failed: {result}."));
                        continue;
                    }

                    Sample();
                }
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                FailAll(ex);
                throw;
            }
            finally
            {
                foreach (var slot in _waiting.Concat(_active))
                {
                    slot.Request.Fail(new ObjectDisposedException(nameof(LLamaSharpChatClient)));
                }

                while (owner._incoming.Reader.TryRead(out var request))
                {
                    request.Fail(new ObjectDisposedException(nameof(LLamaSharpChatClient)));
                }
            }
        }

        public void Dispose()
        {
            foreach (var slot in _active)
            {
                slot.Release();
            }

            foreach (var prefix in _livePrefixes)
            {
                prefix.Conversation.Dispose();
            }
        }

        private bool PrefixNeedsInference() => _livePrefixes.Exists(p => p.Remaining > 0 || p.Conversation.RequiresInference);

        private int ReservedTokens()
        {
            var total = 0;
            foreach (var prefix in _livePrefixes)
            {
                total += prefix.Tokens.Length;
            }

            foreach (var slot in _active)
            {
                total += slot.Reserved;
            }

            return total;
        }

        private void DropFinishedWaiting()
        {
            for (var i = _waiting.Count - 1; i >= 0; i--)
            {
                var slot = _waiting[i];
                if (slot.Request.IsAbandoned)
                {
                    slot.Request.Cancel();
                    _waiting.RemoveAt(i);
                }
                else if (owner.Time.GetUtcNow() >= slot.Request.Deadline)
                {
                    slot.Request.Complete(new GenerationOutcome(ChatFinishReason.Length, true, new UsageDetails { InputTokenCount = 0, OutputTokenCount = 0, TotalTokenCount = 0 }));
                    _waiting.RemoveAt(i);
                }
            }
        }

        private void Admit()
        {
            var contextSize = owner._options.ContextSize;
            for (var i = 0; i < _waiting.Count && _active.Count < owner._options.MaxConcurrentRequests;)
            {
                var slot = _waiting[i];
                var request = slot.Request;
                try
                {
                    slot.PrefixTokens ??= Executor.Context.Tokenize(request.Prefix, addBos: true, special: false);
                    slot.SuffixTokens ??= Executor.Context.Tokenize(request.Suffix, addBos: false, special: false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    request.Fail(ex);
                    _waiting.RemoveAt(i);
                    continue;
                }

                var promptLength = slot.PrefixTokens.Length + slot.SuffixTokens.Length;
                if (promptLength + 1 >= contextSize)
                {
                    request.Fail(new ArgumentException($"The prompt has {promptLength} tokens; it does not fit the context of {contextSize} tokens (LLamaSharpGeneratorOptions.ContextSize)."));
                    _waiting.RemoveAt(i);
                    continue;
                }

                slot.MaxTokens = Math.Min(request.MaxTokens, contextSize - promptLength - 1);
                var reuse = owner._options.ReusePromptPrefix;
                PrefixEntry? prefix = null;
                var needed = slot.MaxTokens + (reuse ? slot.SuffixTokens.Length : promptLength);
                if (reuse && !_prefixes.TryGetValue(request.Prefix, out prefix))
                {
                    needed += slot.PrefixTokens.Length;
                }

                if (ReservedTokens() + needed > contextSize)
                {
                    if (_active.Count == 0 && !TryEvictIdlePrefix())
                    {
                        // Nothing else holds KV space, yet it does not fit: run it with the tokens that fit.
                        slot.MaxTokens = Math.Max(1, contextSize - ReservedTokens() - needed + slot.MaxTokens);
                    }
                    else
                    {
                        break; // keep arrival order: wait for space
                    }
                }

                if (reuse)
                {
                    prefix ??= CreatePrefix(request.Prefix, slot.PrefixTokens);
                    prefix.LastUse = ++_useClock;
                    if (prefix.Remaining > 0 || prefix.Conversation.RequiresInference)
                    {
                        i++; // the prefix is being evaluated; fork once it is in the KV cache
                        continue;
                    }

                    slot.Conversation = prefix.Conversation.Fork();
                    slot.Prefix = prefix;
                    prefix.RefCount++;
                    slot.Pending = slot.SuffixTokens;
                    slot.Reserved = slot.SuffixTokens.Length + slot.MaxTokens;
                }
                else
                {
                    slot.Conversation = Executor.Create();
                    slot.Pending = [.. slot.PrefixTokens, .. slot.SuffixTokens];
                    slot.Reserved = promptLength + slot.MaxTokens;
                }

                slot.PromptTokenCount = promptLength;
                slot.Sampler = request.Sampling.Create();
                slot.Decoder = new StreamingTokenDecoder(Encoding.UTF8, Executor.Context.NativeHandle);
                _waiting.RemoveAt(i);
                _active.Add(slot);
            }
        }

        private PrefixEntry CreatePrefix(string text, LLamaToken[] tokens)
        {
            while (_prefixes.Count >= owner._options.MaxCachedPrefixes && TryEvictIdlePrefix())
            {
            }

            var entry = new PrefixEntry(text, tokens, Executor.Create());
            _prefixes[text] = entry;
            _livePrefixes.Add(entry);
            return entry;
        }

        private bool TryEvictIdlePrefix()
        {
            PrefixEntry? victim = null;
            foreach (var entry in _prefixes.Values)
            {
                if (entry.Remaining == 0 && !entry.Conversation.RequiresInference && !_waiting.Exists(s => ReferenceEquals(s.Request.Prefix, entry.Text) || s.Request.Prefix == entry.Text)
                    && (victim is null || entry.LastUse < victim.LastUse))
                {
                    victim = entry;
                }
            }

            if (victim is null)
            {
                return false;
            }

            _prefixes.Remove(victim.Text);
            victim.Conversation.Dispose();
            victim.Cached = false;
            if (victim.RefCount == 0)
            {
                _livePrefixes.Remove(victim);
            }

            return true;
        }

        private void FeedPrompts()
        {
            foreach (var prefix in _livePrefixes)
            {
                if (prefix.Cached && prefix.Remaining > 0 && !prefix.Conversation.RequiresInference)
                {
                    var chunk = Math.Min(prefix.Remaining, ChunkSize);
                    prefix.Conversation.Prompt(prefix.Tokens.AsSpan(prefix.Tokens.Length - prefix.Remaining, chunk));
                    prefix.Remaining -= chunk;
                }
            }

            foreach (var slot in _active)
            {
                if (slot.Pending.Length > 0 && !slot.Conversation!.RequiresInference)
                {
                    var chunk = Math.Min(slot.Pending.Length, ChunkSize);
                    slot.Conversation.Prompt(slot.Pending.AsSpan(0, chunk));
                    slot.Pending = slot.Pending[chunk..];
                }
            }
        }

        private void Sample()
        {
            var vocab = Executor.Context.NativeHandle.ModelHandle.Vocab;
            for (var i = _active.Count - 1; i >= 0; i--)
            {
                var slot = _active[i];
                var conversation = slot.Conversation!;
                if (conversation.RequiresInference)
                {
                    continue;
                }

                var request = slot.Request;
                if (request.IsAbandoned)
                {
                    request.Cancel();
                    Retire(i);
                    continue;
                }

                if (slot.Pending.Length > 0 || !conversation.RequiresSampling)
                {
                    if (owner.Time.GetUtcNow() >= request.Deadline)
                    {
                        Finish(i, ChatFinishReason.Length, incomplete: true);
                    }

                    continue; // more prompt to feed first
                }

                var token = conversation.Sample(slot.Sampler!);
                if (token.IsEndOfGeneration(vocab))
                {
                    Finish(i, ChatFinishReason.Stop, incomplete: false);
                    continue;
                }

                slot.Generated++;
                slot.Decoder!.Add(token);
                var text = slot.Decoder.Read();
                if (text.Length > 0)
                {
                    request.Deltas.Writer.TryWrite(text);
                }

                if (slot.Generated >= slot.MaxTokens || owner.Time.GetUtcNow() >= request.Deadline)
                {
                    Finish(i, ChatFinishReason.Length, incomplete: true);
                    continue;
                }

                conversation.Prompt(token);
            }
        }

        private void Finish(int index, ChatFinishReason reason, bool incomplete)
        {
            var slot = _active[index];
            var usage = new UsageDetails
            {
                InputTokenCount = slot.PromptTokenCount,
                OutputTokenCount = slot.Generated,
                TotalTokenCount = slot.PromptTokenCount + slot.Generated,
            };
            slot.Request.Complete(new GenerationOutcome(reason, incomplete, usage));
            Retire(index);
        }

        private void Retire(int index)
        {
            var slot = _active[index];
            _active.RemoveAt(index);
            slot.Release();
            if (slot.Prefix is { } prefix)
            {
                prefix.RefCount--;
                if (prefix.RefCount == 0 && !prefix.Cached)
                {
                    _livePrefixes.Remove(prefix);
                }
            }
        }

        private void FailAll(Exception exception)
        {
            foreach (var slot in _active)
            {
                slot.Request.Fail(exception);
                slot.Release();
            }

            _active.Clear();
            foreach (var slot in _waiting)
            {
                slot.Request.Fail(exception);
            }

            _waiting.Clear();
            foreach (var prefix in _livePrefixes)
            {
                prefix.Conversation.Dispose();
            }

            _livePrefixes.Clear();
            _prefixes.Clear();
        }
    }

    private sealed class Slot(GenerationRequest request)
    {
        public GenerationRequest Request { get; } = request;

        public LLamaToken[]? PrefixTokens { get; set; }

        public LLamaToken[]? SuffixTokens { get; set; }

        public LLamaToken[] Pending { get; set; } = [];

        public Conversation? Conversation { get; set; }

        public PrefixEntry? Prefix { get; set; }

        public ISamplingPipeline? Sampler { get; set; }

        public StreamingTokenDecoder? Decoder { get; set; }

        public int MaxTokens { get; set; }

        public int Reserved { get; set; }

        public int PromptTokenCount { get; set; }

        public int Generated { get; set; }

        public void Release()
        {
            Conversation?.Dispose();
            Conversation = null;
            Sampler?.Dispose();
            Sampler = null;
        }
    }

    private sealed class PrefixEntry(string text, LLamaToken[] tokens, Conversation conversation)
    {
        public string Text { get; } = text;

        public LLamaToken[] Tokens { get; } = tokens;

        public Conversation Conversation { get; } = conversation;

        public int Remaining { get; set; } = tokens.Length;

        public int RefCount { get; set; }

        public bool Cached { get; set; } = true;

        public long LastUse { get; set; }
    }
}
