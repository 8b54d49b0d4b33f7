package llm4j.cli;

import llm4j.model.chat.ChatSession;

/** Totals over a chat's turns, for {@code /stats}. */
final class ChatStats {

    ChatSession.Turn last;
    int turns;
    long promptTokens;
    long reusedTokens;
    long generatedTokens;
    long promptNanos;
    long generateNanos;

    void add(ChatSession.Turn turn) {
        last = turn;
        turns++;
        promptTokens += turn.stats().promptTokens();
        reusedTokens += turn.reusedTokens();
        generatedTokens += turn.stats().generatedTokens();
        promptNanos += turn.stats().promptNanos();
        generateNanos += turn.stats().generateNanos();
    }

    void clear() {
        last = null;
        turns = 0;
        promptTokens = reusedTokens = generatedTokens = promptNanos = generateNanos = 0;
    }
}
